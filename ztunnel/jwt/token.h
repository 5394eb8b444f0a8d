// A compact-serialised JWS token (RFC 7515 §7.1) split and decoded, with the registered claims
// read the way Envoy's jwt_verify_lib reads them (same checks, same order, same failures).
// Parsing proves nothing: the signature is checked by verify.h.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "jwt/failure.h"

namespace zmesh::jwt {

// The algorithms we verify; "none" and HS* (shared secrets) are not among them.
enum class Algorithm {
  kRs256,
  kRs384,
  kRs512,
  kPs256,
  kPs384,
  kPs512,
  kEs256,
  kEs384,
  kEs512,
  kEdDsa
};

// "RS256" -> kRs256; nullopt for anything else.
std::optional<Algorithm> algorithm_from_name(std::string_view name);

struct ParsedToken {
  std::string alg_name;  // as in the header
  Algorithm alg = Algorithm::kRs256;
  std::string kid;  // empty when the header has none
  nlohmann::json header;
  nlohmann::json payload;  // always an object
  std::string iss, sub, jti;
  std::optional<uint64_t> iat, nbf, exp;
  std::vector<std::string> audiences;  // `aud`, a string or a list of strings
  std::string signed_part;             // "<header>.<payload>", what the signature covers
  std::string payload_segment;         // the payload as sent (base64url, unpadded)
  std::string signature;               // raw bytes
};

std::variant<ParsedToken, Failure> parse_token(std::string_view token);

}  // namespace zmesh::jwt
