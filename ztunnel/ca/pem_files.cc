#include "ca/pem_files.h"

#include "identity/ca_files.h"
#include "identity/certificate.h"

namespace zmesh::ca {

Result<std::vector<identity::X509Ptr>> read_pem_certs(const std::string& path) {
  auto text = identity::read_file(path);
  if (!text) return text.error();
  auto certs = identity::parse_pem_certs(*text);
  if (!certs) return make_error(path + ": " + certs.error().message);
  return certs;
}

Result<identity::EvpPkeyPtr> read_pem_key(const std::string& path) {
  auto text = identity::read_file(path);
  if (!text) return text.error();
  auto key = identity::parse_pem_key(*text);
  if (!key) return make_error(path + ": " + key.error().message);
  return key;
}

}  // namespace zmesh::ca
