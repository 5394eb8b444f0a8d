// The cluster-mode CA service: HTTPS (TLS 1.3, mutual) on Boost.Beast. Node daemons
// present their node certificate (SPIFFE id .../ns/istio-system/sa/ztunnel, CN = node name)
// and POST CSRs to /v1/certificates (ca/sign_protocol.h); a node obtains only identities of
// workloads scheduled on it, per the current config snapshot (ca/node_authorizer.h).
// Runs on one io_context thread; never trusts request contents.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "identity/certificate_source.h"
#include "state/store.h"

namespace zmesh::ca {

struct CaServerOptions {
  boost::asio::ip::tcp::endpoint listen;
  std::string trust_domain = "cluster.local";
  std::chrono::seconds max_ttl{24 * 3600};  // requested TTLs are capped here
};

class CaServer {
 public:
  // `tls`: a server context from make_mtls_context presenting the CA service's certificate;
  // `signer` signs authorized CSRs; `config` holds the current view of the cluster. All must
  // outlive the server.
  CaServer(boost::asio::io_context& io, CaServerOptions options,
           std::shared_ptr<boost::asio::ssl::context> tls, identity::CertificateSource& signer,
           const state::Store& config);
  // Closes the listener and open connections. Destroy on the io_context's thread, or after
  // it stopped.
  ~CaServer();
  CaServer(const CaServer&) = delete;
  CaServer& operator=(const CaServer&) = delete;

  Result<void> start();  // binds and accepts; error if the address is taken
  boost::asio::ip::tcp::endpoint local_endpoint() const;  // valid after start()
  // New connections use `tls` (e.g. after a root rotation); open ones keep theirs.
  void set_tls(std::shared_ptr<boost::asio::ssl::context> tls);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace zmesh::ca
