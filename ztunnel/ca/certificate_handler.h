// What the CA service answers to one HTTP request from an authenticated TLS peer:
// checks the caller is a node, the request is well formed, and the node may obtain the
// identity; then signs. Transport-free, so ca_server.cc only moves bytes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "ca/mtls_context.h"
#include "common/result.h"
#include "identity/certificate_source.h"
#include "state/store.h"

namespace zmesh::ca {

struct HttpAnswer {
  unsigned status = 200;
  std::string body;  // JSON
};

class CertificateHandler {
 public:
  CertificateHandler(std::string trust_domain, std::chrono::seconds max_ttl,
                     identity::CertificateSource& signer, const state::Store& config)
      : trust_domain_(std::move(trust_domain)),
        max_ttl_(max_ttl),
        signer_(signer),
        config_(config) {}

  // `peer` is the verified client certificate (or why there is none usable). Uses its
  // arguments only before its first suspension; touches the signer and config only until
  // the signature is done.
  boost::asio::awaitable<HttpAnswer> handle(const Result<PeerCertificate>& peer,
                                            std::string_view method, std::string_view target,
                                            const std::string& body);

 private:
  std::string trust_domain_;
  std::chrono::seconds max_ttl_;
  identity::CertificateSource& signer_;
  const state::Store& config_;
};

}  // namespace zmesh::ca
