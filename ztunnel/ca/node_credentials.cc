#include "ca/node_credentials.h"

#include <openssl/err.h>

#include <filesystem>

#include "ca/pem_files.h"
#include "ca/service_identities.h"
#include "identity/ca_files.h"
#include "identity/certificate.h"

namespace zmesh::ca {
Result<void> write_node_credentials(const CredentialIssuer& issuer, const std::string& node,
                                    const std::string& trust_domain, std::chrono::seconds ttl,
                                    const std::string& out_dir) {
  auto creds = issuer.issue({node, node_identity(trust_domain), {}, ttl});
  if (!creds) return make_error("node " + node + ": " + creds.error().message);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return make_error("cannot create " + out_dir + ": " + ec.message());
  // Key first: a certificate is never there without its key.
  if (auto r = identity::write_file_atomic(out_dir + "/" + kNodeKeyFile,
                                           identity::key_to_pem(creds->key.get()), 0600);
      !r)
    return r;
  if (auto r = identity::write_file_atomic(out_dir + "/" + kNodeCertFile,
                                           identity::to_pem(creds->chain), 0644);
      !r)
    return r;
  return identity::write_file_atomic(out_dir + "/" + kNodeRootCertFile,
                                     identity::to_pem(creds->roots), 0644);
}

Result<IssuedCredentials> load_node_credentials(const std::string& dir) {
  IssuedCredentials creds;
  auto chain = read_pem_certs(dir + "/" + kNodeCertFile);
  if (!chain) return chain.error();
  auto roots = read_pem_certs(dir + "/" + kNodeRootCertFile);
  if (!roots) return roots.error();
  auto key = read_pem_key(dir + "/" + kNodeKeyFile);
  if (!key) return key.error();
  if (X509_check_private_key(chain->front().get(), key->get()) != 1) {
    ERR_clear_error();
    return make_error(dir + "/" + kNodeKeyFile + " does not match " + kNodeCertFile);
  }
  creds.key = std::move(*key);
  creds.chain = std::move(*chain);
  creds.roots = std::move(*roots);
  return creds;
}

}  // namespace zmesh::ca
