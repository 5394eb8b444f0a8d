// security.istio.io RequestAuthentication (v1, v1beta1), as written.
// Every field of the API is kept, typed, whether or not the data path uses it yet.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "state/istio_common.h"
#include "state/model.h"

namespace zmesh::state {

// jwtRules[].fromHeaders[]: a header carrying the token, with an optional value prefix
// ("Bearer ").
struct JwtHeader {
  std::string name;
  std::string prefix;
};

// jwtRules[].outputClaimToHeaders[]: copy a (string, int or bool; nested) claim to a header.
struct ClaimToHeader {
  std::string header;
  std::string claim;
};

// jwtRules[].presence (newer API): whether a token must be present.
enum class JwtPresence { kUnset, kOptional, kRequired };

const char* to_string(JwtPresence presence);  // "", "OPTIONAL", "REQUIRED"

struct JwtRule {
  std::string issuer;                  // must equal the token's `iss`
  std::vector<std::string> audiences;  // any one matches; empty: `aud` is not checked
  std::string jwks_uri;                // jwksUri (or jwks_uri): http(s) URL of the key set
  std::string jwks;                    // the key set inline (JSON); exclusive with jwks_uri
  // Token locations; with none, `Authorization: Bearer` then `?access_token=`.
  std::vector<JwtHeader> from_headers;
  std::vector<std::string> from_params;
  std::vector<std::string> from_cookies;
  std::string output_payload_to_header;  // base64 JSON payload to this header
  bool forward_original_token = false;   // default: the token header is removed
  std::vector<ClaimToHeader> output_claim_to_headers;
  std::optional<Duration> timeout;                  // JWKS fetch; unset: 5s
  std::vector<std::string> space_delimited_claims;  // besides `scope` and `permission`
  JwtPresence presence = JwtPresence::kUnset;
};

struct RequestAuthentication {
  ObjectMeta meta;
  // spec.selector.matchLabels; nullopt without spec.selector (see AuthorizationPolicy).
  std::optional<Labels> selector;
  std::optional<PolicyTargetReference> target_ref;  // spec.targetRef
  std::vector<PolicyTargetReference> target_refs;   // spec.targetRefs (waypoints in ambient)
  std::vector<JwtRule> jwt_rules;
};

// The object as config_dump shows it: field names as in the YAML, empty fields left out.
void to_json(nlohmann::json& j, const RequestAuthentication& object);

}  // namespace zmesh::state
