// The RequestAuthentication decision for one HTTP request at the destination, with the semantics
// Istio gets from Envoy's jwt_authn: every jwtRule that applies to the workload (from all its
// RequestAuthentications) is a provider; a request without a token in any rule's location passes
// unauthenticated (AuthorizationPolicy may still deny it); a token that fails is rejected (401,
// or 403 when only its audience is wrong). On success it says who the caller is, for
// authorization, and which request headers to change before the app sees the request. Pure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jwt/failure.h"
#include "jwt/jwks.h"
#include "jwt/token_cache.h"
#include "jwt/token_location.h"
#include "state/request_authentication.h"

namespace zmesh::jwt {

// One jwtRule and the keys it verifies with.
struct RuleKeys {
  const state::JwtRule* rule = nullptr;
  const KeySet* keys = nullptr;  // null: not fetched (yet, or the fetch failed)
  // Identifies this rule with this key set in a TokenCache; change it when either changes.
  // 0: never cached.
  uint64_t verifier_id = 0;
};

struct AuthRequest {
  std::string_view method;
  std::string_view scheme = "http";  // for the realm of WWW-Authenticate
  std::string_view host;             // :authority (or Host)
  std::string_view path;             // as sent, with the query
  HeaderLookup headers;
};

// A change to the request's headers, applied in order before the request goes to the app.
struct HeaderOp {
  enum class Kind { kRemove, kAppend };
  Kind kind = Kind::kRemove;
  std::string name;  // lower case
  std::string value;
  bool operator==(const HeaderOp&) const = default;
};

// The verified caller, as Envoy's jwt_authn reports it to Istio's authorization
// (rbac::RequestAuth is built from it).
struct Identity {
  std::string issuer;
  std::string subject;
  std::string principal;  // "<iss>/<sub>"
  std::vector<std::string> audiences;
  std::string presenter;  // `azp`
  // The payload; `scope`, `permission` and the rule's spaceDelimitedClaims, when strings, are
  // split at spaces into lists (Istio's normalize_payload_in_metadata).
  nlohmann::json claims;
};

// The local reply for a rejected request.
struct Denial {
  Failure failure = Failure::kVerificationFail;
  int status = 401;  // 403 for kAudienceNotAllowed
  std::string body;  // message(failure)
  // `Bearer realm="<scheme>://<host><path>", error="invalid_token"` (path cut at 256 bytes).
  std::string www_authenticate;
};

struct AuthDecision {
  std::optional<Denial> denial;      // set: answer with it, the app never sees the request
  std::optional<Identity> identity;  // set: a token verified
  std::vector<HeaderOp> header_ops;  // also for unauthenticated requests (sanitising)
  std::vector<std::string> remove_query_params;  // tokens taken from the query, not forwarded
  bool allowed() const { return !denial.has_value(); }
};

// `rules`: every jwtRule that applies, in any order. `cache` (optional, per worker) skips the
// signature check of tokens seen before.
AuthDecision authenticate(std::span<const RuleKeys> rules, const AuthRequest& request,
                          uint64_t now_unix_seconds, TokenCache* cache = nullptr);

// outputClaimToHeaders' value of `claim` ('.' walks into objects): strings as they are, numbers
// as integers when whole and non-negative (else C's "%f"), booleans "true"/"false"; nullopt
// for a missing claim, another type, or an empty value (no header then).
std::optional<std::string> claim_header_value(const nlohmann::json& payload,
                                              std::string_view claim);

}  // namespace zmesh::jwt
