// The CA service's wire format, shared by server and client:
//   POST /v1/certificates {"csr": PEM, "identity": "spiffe://...", "ttl_seconds": N}
//   200 {"cert_chain": [PEM leaf, PEM intermediate...], "roots": [PEM...]}
//   4xx/5xx {"error": "message"}
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "identity/certificate_authority.h"
#include "identity/spiffe_id.h"

namespace zmesh::ca {

inline constexpr const char* kCertificatesPath = "/v1/certificates";

struct SignRequest {
  std::string csr_pem;
  identity::SpiffeId identity;
  std::optional<std::chrono::seconds> ttl;  // absent: the server's maximum
};

// Server side. The error names the offending field ("csr: ...", "identity: ...").
// Checks the CSR parses and is signed by its own key; the CA checks the rest.
Result<SignRequest> parse_sign_request(std::string_view body);
std::string sign_response_json(const identity::SignedChain& signed_chain);
std::string error_json(const std::string& message);

// Client side.
std::string sign_request_json(const std::string& csr_pem, const identity::SpiffeId& identity,
                              std::chrono::seconds ttl);
Result<identity::SignedChain> parse_sign_response(std::string_view body);
// The "error" of an error body, or the body itself (bounded) when it is not ours.
std::string error_message_of(std::string_view body);

}  // namespace zmesh::ca
