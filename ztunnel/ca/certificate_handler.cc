#include "ca/certificate_handler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "ca/node_authorizer.h"
#include "ca/service_identities.h"
#include "ca/sign_protocol.h"
#include "identity/certificate.h"

namespace zmesh::ca {

boost::asio::awaitable<HttpAnswer> CertificateHandler::handle(const Result<PeerCertificate>& peer,
                                                              std::string_view method,
                                                              std::string_view target,
                                                              const std::string& body) {
  auto answer = [](unsigned status, const std::string& message) {
    return HttpAnswer{status, error_json(message)};
  };
  if (target.substr(0, target.find('?')) != kCertificatesPath)
    co_return answer(404, "not found: the CA serves POST " + std::string(kCertificatesPath));
  if (method != "POST") co_return answer(405, "method not allowed: use POST");

  if (!peer) {
    spdlog::warn("ca: refused a client: {}", peer.error().message);
    co_return answer(403, "client certificate: " + peer.error().message);
  }
  if (peer->id != node_identity(trust_domain_)) {
    auto message =
        "client " + peer->id.uri() + " is not a node (" + node_identity(trust_domain_).uri() + ")";
    spdlog::warn("ca: refused: {}", message);
    co_return answer(403, message);
  }
  const std::string node = peer->common_name;

  auto request = parse_sign_request(body);
  if (!request) {
    spdlog::warn("ca: bad request from node {}: {}", node, request.error().message);
    co_return answer(400, request.error().message);
  }
  auto snapshot = config_.current();
  if (auto allowed = authorize_node(*snapshot, node, request->identity, trust_domain_); !allowed) {
    spdlog::warn("ca: refused: {}", allowed.error().message);
    co_return answer(403, allowed.error().message);
  }

  auto ttl = std::min(request->ttl.value_or(max_ttl_), max_ttl_);
  auto identity = request->identity;
  auto signed_chain = co_await signer_.sign(std::move(request->csr_pem), identity, ttl);
  if (!signed_chain) {
    // The request passed our checks, so what the CA rejects is the CSR (e.g. its key type).
    spdlog::warn("ca: node {} for {}: signing failed: {}", node, identity.uri(),
                 signed_chain.error().message);
    co_return answer(400, "csr: " + signed_chain.error().message);
  }
  if (signed_chain->chain.empty()) co_return answer(500, "the CA returned no certificate");
  spdlog::info("ca: issued {} to node {} (serial {}, ttl {}s)", identity.uri(), node,
               identity::serial_hex(signed_chain->chain.front().get()), ttl.count());
  co_return HttpAnswer{200, sign_response_json(*signed_chain)};
}

}  // namespace zmesh::ca
