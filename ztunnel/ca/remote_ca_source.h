// Cluster mode's CertificateSource: asks the CA service (`ztunnel ca serve`) over mutual
// TLS, presenting this node's credentials (`ztunnel ca issue-node`). The service is
// verified against the node's root-cert.pem and must be spiffe://<td>/ns/istio-system/sa/zmesh-ca.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "identity/certificate_source.h"

namespace zmesh::ca {

class RemoteCaSource : public identity::CertificateSource {
 public:
  // `address` is host:port (host a name, an IPv4 address or [IPv6]); `credentials_dir` holds
  // node-cert.pem, node-key.pem and root-cert.pem, and is re-read when those files change.
  static Result<std::unique_ptr<RemoteCaSource>> open(boost::asio::any_io_executor executor,
                                                      std::string address,
                                                      std::string credentials_dir,
                                                      std::string trust_domain);

  // One HTTPS request on a new connection, bounded by timeout() overall. Errors carry the
  // HTTP status and the service's message: "CA service at H:P: HTTP 403: node n1 may not...".
  boost::asio::awaitable<Result<identity::SignedChain>> sign(std::string csr_pem,
                                                             identity::SpiffeId identity,
                                                             std::chrono::seconds ttl) override;
  // True once after root-cert.pem in the credentials directory changed its roots.
  bool trust_changed() override;
  std::string describe() const override;  // "CA service at H:P"

  std::chrono::milliseconds timeout() const { return timeout_; }
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

 private:
  RemoteCaSource(boost::asio::any_io_executor executor, std::string address, std::string host,
                 std::string port, std::string credentials_dir, std::string trust_domain);
  Result<void> reload_if_changed();

  boost::asio::any_io_executor executor_;
  std::string address_, host_, port_;
  std::string credentials_dir_, trust_domain_;
  std::chrono::milliseconds timeout_{5000};
  std::string files_fingerprint_;  // mtimes and sizes of the credential files as loaded
  std::string roots_pem_;
  bool roots_changed_ = false;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // shared with requests in flight
};

}  // namespace zmesh::ca
