#include "ca/ca_service.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>

#include "ca/ca_server.h"
#include "ca/credential_issuer.h"
#include "ca/mtls_context.h"
#include "ca/service_identities.h"
#include "config/directory_source.h"
#include "identity/certificate_source.h"
#include "state/store.h"

namespace zmesh::ca {
namespace {

namespace asio = boost::asio;

// The server certificate is reissued at every start and root change.
constexpr std::chrono::seconds kServerCertTtl{365 * 24 * 3600};

int fail(const std::string& what) {
  spdlog::critical("ca: {}", what);
  return 1;
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> make_ca_server_tls(const std::string& ca_dir,
                                                               const std::string& trust_domain) {
  auto issuer = CredentialIssuer::load(ca_dir);
  if (!issuer) return issuer.error();
  auto creds =
      issuer->issue({kCaDnsName, ca_service_identity(trust_domain), {kCaDnsName}, kServerCertTtl});
  if (!creds) return make_error("server certificate: " + creds.error().message);
  return make_mtls_context(TlsRole::kServer, *creds);
}

int run_ca_service(const ServeOptions& o) {
  using Layout = identity::LocalCaSource::Layout;
  const bool plugin = !o.ca_dir.empty();
  const std::string& dir = plugin ? o.ca_dir : o.state_dir;
  auto signer = identity::LocalCaSource::open(plugin ? Layout::kPlugin : Layout::kEmbedded, dir,
                                              o.trust_domain);
  if (!signer) return fail(signer.error().message);
  auto tls = make_ca_server_tls(dir, o.trust_domain);
  if (!tls) return fail(tls.error().message);

  asio::io_context io(1);
  state::Store store;
  config::DirectorySource source(io, o.config_dir, [&](auto snapshot) {
    spdlog::info("ca: config view: {} workloads", snapshot->workloads().size());
    store.publish(std::move(snapshot));
  });
  if (auto r = source.start(); !r) return fail("config: " + r.error().message);

  CaServer server(io, {o.listen, o.trust_domain, o.max_ttl}, std::move(*tls), **signer, store);
  if (auto r = server.start(); !r) return fail(r.error().message);
  spdlog::info("ca: serving {} ({}) on {}:{}, max ttl {}s",
               ca_service_identity(o.trust_domain).uri(), (*signer)->describe(),
               server.local_endpoint().address().to_string(), server.local_endpoint().port(),
               o.max_ttl.count());

  // Follows root rotations of the CA directory: the signer reloads, and new connections get
  // a server certificate (and trust) from the new CA.
  asio::steady_timer tick(io);
  std::function<void()> watch_roots = [&] {
    tick.expires_after(std::chrono::seconds(1));
    tick.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      if ((*signer)->trust_changed()) {
        if (auto next = make_ca_server_tls(dir, o.trust_domain); next) {
          server.set_tls(std::move(*next));
          spdlog::info("ca: CA roots changed; server certificate reissued");
        } else {
          spdlog::error("ca: CA roots changed but the server certificate was not reissued: {}",
                        next.error().message);
        }
      }
      watch_roots();
    });
  };
  watch_roots();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("ca: signal {}: shutting down", sig);
    io.stop();
  });
  io.run();
  return 0;
}

}  // namespace zmesh::ca
