// `ztunnel ca serve`: the CA service process. Loads the CA, issues its own server
// certificate, watches the config directory for the cluster view, serves until SIGINT/SIGTERM.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"

namespace zmesh::ca {

struct ServeOptions {
  boost::asio::ip::tcp::endpoint listen;
  std::string ca_dir;     // Istio plug-in CA layout, or
  std::string state_dir;  // embedded CA (created on first start); exactly one is set
  std::string config_dir;
  std::string trust_domain = "cluster.local";
  std::chrono::seconds max_ttl{24 * 3600};
};

// The service's TLS: a fresh server certificate from the CA in `ca_dir` (CN and DNS SAN
// zmesh-ca, SPIFFE id spiffe://<td>/ns/istio-system/sa/zmesh-ca), requiring node clients
// chained to the CA's roots.
Result<std::shared_ptr<boost::asio::ssl::context>> make_ca_server_tls(
    const std::string& ca_dir, const std::string& trust_domain);

// Returns the process exit code: 0 after a signal, 1 if it could not start.
int run_ca_service(const ServeOptions& options);

}  // namespace zmesh::ca
