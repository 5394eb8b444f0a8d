// Verifying one token against one RequestAuthentication jwtRule (one issuer) and its key set,
// in Envoy jwt_authn's order: parse, issuer, time (nbf, exp; 60 s skew), audiences, keys,
// signature. Pure: the time is a parameter.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwt/failure.h"
#include "jwt/jwks.h"
#include "jwt/token.h"

namespace zmesh::jwt {

// Envoy's default clock skew (jwt_verify_lib kClockSkewInSecond); Istio does not change it.
inline constexpr uint64_t kClockSkewSeconds = 60;

struct VerifiedToken {
  std::string issuer;                  // `iss`
  std::string subject;                 // `sub`
  std::vector<std::string> audiences;  // `aud`
  std::string presenter;               // `azp`, empty when absent or not a string
  nlohmann::json claims;               // the payload
  std::optional<uint64_t> exp;         // unix seconds; nullopt: does not expire
  std::string payload_segment;         // the payload as sent (outputPayloadToHeader)
};

struct VerifyResult {
  std::optional<VerifiedToken> token;            // set when the token is good
  Failure failure = Failure::kVerificationFail;  // meaningful only without `token`
  bool ok() const { return token.has_value(); }
};

// What one jwtRule asks of a token. `issuer` empty: any `iss` (Envoy); `audiences` empty: `aud`
// is not checked.
struct VerifyRule {
  std::string_view issuer;
  const std::vector<std::string>* audiences = nullptr;
};

// `keys` null: the rule's key set was never fetched ("Jwks remote fetch is failed").
VerifyResult verify(std::string_view token, const VerifyRule& rule, const KeySet* keys,
                    uint64_t now_unix_seconds);
VerifyResult verify(const ParsedToken& token, const VerifyRule& rule, const KeySet* keys,
                    uint64_t now_unix_seconds);

// The checks one by one, for callers that split them (and for tests).
// nbf then exp, each with kClockSkewSeconds; nullopt when the time is right.
std::optional<Failure> check_time(const ParsedToken& token, uint64_t now_unix_seconds);
// Envoy's rule: "http://" / "https://" prefixes and one trailing '/' are ignored on both sides.
bool audiences_allowed(const std::vector<std::string>& configured,
                       const std::vector<std::string>& token_audiences);
// The signature with the key set's candidate keys (kid, then alg and key type).
std::optional<Failure> check_signature(const ParsedToken& token, const KeySet& keys);

}  // namespace zmesh::jwt
