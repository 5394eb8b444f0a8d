#include "ca/remote_ca_source.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <utility>

#include "ca/https_post.h"
#include "ca/mtls_context.h"
#include "ca/node_credentials.h"
#include "ca/service_identities.h"
#include "ca/sign_protocol.h"
#include "identity/certificate.h"

namespace zmesh::ca {
namespace {

namespace asio = boost::asio;

struct HostPort {
  std::string host, port;
};

Result<HostPort> split_address(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return make_error("CA address \"" + address + "\": expected HOST:PORT");
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  bool digits = !port.empty() && port.size() <= 5 &&
                port.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoul(port) == 0 || std::stoul(port) > 65535)
    return make_error("CA address \"" + address + "\": bad port");
  return HostPort{host, port};
}

// Changes whenever one of the credential files is rewritten (rename gives a new inode).
std::string files_fingerprint(const std::string& dir) {
  std::string out;
  for (const char* name : {kNodeCertFile, kNodeKeyFile, kNodeRootCertFile}) {
    struct stat st {};
    if (::stat((dir + "/" + name).c_str(), &st) != 0) {
      out += "-;";
      continue;
    }
    out += std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ";";
  }
  return out;
}

struct LoadedCredentials {
  std::shared_ptr<asio::ssl::context> tls;
  std::string roots_pem;
};

Result<LoadedCredentials> load(const std::string& dir, const std::string& trust_domain) {
  auto creds = load_node_credentials(dir);
  if (!creds) return creds.error();
  auto id = identity::spiffe_id_of(creds->chain.front().get());
  if (!id) return make_error(dir + "/" + kNodeCertFile + ": " + id.error().message);
  if (*id != node_identity(trust_domain))
    return make_error(dir + "/" + kNodeCertFile + " is " + id->uri() + ", not the node identity " +
                      node_identity(trust_domain).uri());
  auto tls = make_mtls_context(TlsRole::kClient, *creds);
  if (!tls) return tls.error();
  return LoadedCredentials{std::move(*tls), identity::to_pem(creds->roots)};
}

}  // namespace

Result<std::unique_ptr<RemoteCaSource>> RemoteCaSource::open(asio::any_io_executor executor,
                                                             std::string address,
                                                             std::string credentials_dir,
                                                             std::string trust_domain) {
  auto hp = split_address(address);
  if (!hp) return hp.error();
  std::unique_ptr<RemoteCaSource> source(
      new RemoteCaSource(std::move(executor), std::move(address), std::move(hp->host),
                         std::move(hp->port), std::move(credentials_dir), std::move(trust_domain)));
  source->files_fingerprint_ = files_fingerprint(source->credentials_dir_);
  auto loaded = load(source->credentials_dir_, source->trust_domain_);
  if (!loaded) return make_error("node credentials: " + loaded.error().message);
  source->tls_ = std::move(loaded->tls);
  source->roots_pem_ = std::move(loaded->roots_pem);
  return source;
}

RemoteCaSource::RemoteCaSource(asio::any_io_executor executor, std::string address,
                               std::string host, std::string port, std::string credentials_dir,
                               std::string trust_domain)
    : executor_(std::move(executor)),
      address_(std::move(address)),
      host_(std::move(host)),
      port_(std::move(port)),
      credentials_dir_(std::move(credentials_dir)),
      trust_domain_(std::move(trust_domain)) {}

Result<void> RemoteCaSource::reload_if_changed() {
  auto fingerprint = files_fingerprint(credentials_dir_);
  if (fingerprint == files_fingerprint_) return ok();
  // Remembered even when the load fails: retry on the next change, not every call.
  files_fingerprint_ = std::move(fingerprint);
  auto loaded = load(credentials_dir_, trust_domain_);
  if (!loaded) return loaded.error();
  tls_ = std::move(loaded->tls);
  if (loaded->roots_pem != roots_pem_) roots_changed_ = true;
  roots_pem_ = std::move(loaded->roots_pem);
  spdlog::info("{}: reloaded node credentials from {}", describe(), credentials_dir_);
  return ok();
}

bool RemoteCaSource::trust_changed() {
  if (auto r = reload_if_changed(); !r)
    spdlog::warn("{}: node credentials not reloaded, keeping the previous ones: {}", describe(),
                 r.error().message);
  return std::exchange(roots_changed_, false);
}

std::string RemoteCaSource::describe() const {
  return "CA service at " + address_;
}

asio::awaitable<Result<identity::SignedChain>> RemoteCaSource::sign(std::string csr_pem,
                                                                    identity::SpiffeId identity,
                                                                    std::chrono::seconds ttl) {
  if (auto r = reload_if_changed(); !r)
    spdlog::warn("{}: node credentials not reloaded, keeping the previous ones: {}", describe(),
                 r.error().message);
  // The SecretManager prefixes describe() to the message itself.
  auto fail = [](const std::string& message) { return make_error(message); };
  // Named, not temporaries in the co_await: GCC 12 destroys such temporaries twice.
  HttpsTarget target{host_, port_, kCertificatesPath, ca_service_identity(trust_domain_)};
  std::string body = sign_request_json(csr_pem, identity, ttl);
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  auto reply = co_await https_post(executor_, tls_, std::move(target), std::move(body), deadline);
  if (!reply) co_return fail(reply.error().message);
  if (reply->status != 200)
    co_return fail("HTTP " + std::to_string(reply->status) + ": " + error_message_of(reply->body));
  auto signed_chain = parse_sign_response(reply->body);
  if (!signed_chain) co_return fail(signed_chain.error().message);
  auto leaf_id = identity::spiffe_id_of(signed_chain->chain.front().get());
  if (!leaf_id || *leaf_id != identity)
    co_return fail("issued certificate is not for " + identity.uri());
  co_return std::move(*signed_chain);
}

}  // namespace zmesh::ca
