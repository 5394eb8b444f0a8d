#include "state/request_authentication.h"

#include "state/policy_json.h"

namespace zmesh::state {

const char* to_string(JwtPresence presence) {
  switch (presence) {
    case JwtPresence::kUnset:
      return "";
    case JwtPresence::kOptional:
      return "OPTIONAL";
    case JwtPresence::kRequired:
      return "REQUIRED";
  }
  return "";
}

namespace {

nlohmann::json jwt_rule_json(const JwtRule& r) {
  nlohmann::json out = nlohmann::json::object();
  if (!r.issuer.empty()) out["issuer"] = r.issuer;
  put_list(out, "audiences", r.audiences);
  if (!r.jwks_uri.empty()) out["jwksUri"] = r.jwks_uri;
  if (!r.jwks.empty()) out["jwks"] = r.jwks;
  if (!r.from_headers.empty()) {
    auto& headers = out["fromHeaders"] = nlohmann::json::array();
    for (const auto& h : r.from_headers) {
      nlohmann::json hj = {{"name", h.name}};
      if (!h.prefix.empty()) hj["prefix"] = h.prefix;
      headers.push_back(std::move(hj));
    }
  }
  put_list(out, "fromParams", r.from_params);
  put_list(out, "fromCookies", r.from_cookies);
  if (!r.output_payload_to_header.empty()) {
    out["outputPayloadToHeader"] = r.output_payload_to_header;
  }
  if (r.forward_original_token) out["forwardOriginalToken"] = true;
  if (!r.output_claim_to_headers.empty()) {
    auto& claims = out["outputClaimToHeaders"] = nlohmann::json::array();
    for (const auto& c : r.output_claim_to_headers) {
      claims.push_back({{"header", c.header}, {"claim", c.claim}});
    }
  }
  if (r.timeout) out["timeout"] = std::to_string(r.timeout->count()) + "ms";
  put_list(out, "spaceDelimitedClaims", r.space_delimited_claims);
  if (r.presence != JwtPresence::kUnset) out["presence"] = to_string(r.presence);
  return out;
}

}  // namespace

void to_json(nlohmann::json& j, const RequestAuthentication& object) {
  j = policy_header_json(object.meta, object.selector, object.target_ref, object.target_refs);
  auto rules = nlohmann::json::array();
  for (const auto& r : object.jwt_rules) rules.push_back(jwt_rule_json(r));
  j["jwtRules"] = std::move(rules);
}

}  // namespace zmesh::state
