#include "jwt/authenticate.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <memory>

#include "jwt/verify.h"

// How Istio configures Envoy, and so what this file decides (istio pilot/pkg/security/authn
// policy_applier.go convertToEnvoyJwtConfig; envoy jwt_authn verifier.cc, authenticator.cc):
//
//   - the rules are sorted by issuer and each becomes provider "origins-<i>";
//   - one rule:   requires_any { P0, allow_missing }
//     several:    requires_any { P0, P1, ..., requires_all { any{P0, allow_missing},
//                                                             any{P1, allow_missing}, ... } }
//   - a provider verifier takes the tokens at its own locations and needs at least one, all
//     valid under that provider; allow_missing (scoped to the providers of its or-list) passes
//     with no token and otherwise reports the status of the tokens it checks.
//
// Which reduces to: no token at any rule's location -> pass unauthenticated; else the first
// rule (by issuer) whose locations hold tokens that all verify under it wins; else deny with the
// failure of the first failing token (extraction order) of the first rule, by issuer, whose
// locations hold a token. So a token whose `iss` names a rule sharing the location of an
// earlier rule, and that fails under its own rule, is reported as "Jwt issuer is not configured"
// (the earlier rule's view of it), exactly as Envoy reports it.
//
// One deliberate difference: Envoy's allow_missing answers with the status of the *first
// extracted* token only, so a valid token next to an invalid one at the same rule's locations
// can pass; we reject that request with the invalid token's failure.
//
// Also as Envoy: CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) bypass
// (Istio sets bypass_cors_preflight); every rule's output headers are removed from the incoming
// request first, so a client cannot forge them (Envoy sanitises per verifier that runs; we
// sanitise for all rules); header tokens are removed unless forwardOriginalToken, and query
// tokens likewise (remove_query_params); cookies are left alone.

namespace zmesh::jwt {
namespace {

using nlohmann::json;

constexpr size_t kMaxRealmPathLength = 256;  // Envoy's MaximumUriLength

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_cors_preflight(const AuthRequest& request) {
  if (request.method != "OPTIONS") return false;
  auto non_empty = [&](std::string_view name) {
    auto values = request.headers(name);
    return !values.empty() && !values.front().empty();
  };
  return non_empty("origin") && non_empty("access-control-request-method");
}

std::string realm(const AuthRequest& request) {
  std::string_view path = request.path.substr(0, kMaxRealmPathLength);
  std::string value = "Bearer realm=\"";
  value.append(request.scheme).append("://").append(request.host).append(path);
  value += "\", error=\"invalid_token\"";
  return value;
}

void add_remove(std::vector<HeaderOp>& ops, std::string name) {
  HeaderOp op{HeaderOp::Kind::kRemove, std::move(name), ""};
  if (std::find(ops.begin(), ops.end(), op) == ops.end()) ops.push_back(std::move(op));
}

json normalise_claims(const json& payload, const state::JwtRule& rule) {
  json out = payload;
  auto split = [&](const std::string& claim) {
    auto it = out.find(claim);
    if (it == out.end() || !it->is_string()) return;
    const std::string text = it->get<std::string>();
    json list = json::array();
    size_t pos = 0;
    while (pos < text.size()) {
      size_t space = text.find(' ', pos);
      if (space == text.npos) space = text.size();
      if (space > pos) list.push_back(text.substr(pos, space - pos));
      pos = space + 1;
    }
    if (!list.empty()) *it = std::move(list);
  };
  split("scope");
  split("permission");
  for (const auto& claim : rule.space_delimited_claims) split(claim);
  return out;
}

// One rule's verification of the request's tokens, each verified at most once.
struct RuleTokens {
  const RuleKeys* rule = nullptr;
  std::vector<FoundToken> tokens;
  std::vector<std::optional<VerifyResult>> results;  // by token index, filled on demand
};

class Verifier {
 public:
  Verifier(uint64_t now, TokenCache* cache) : now_(now), cache_(cache) {}

  // The verified token, or the failure.
  const VerifyResult& result(RuleTokens& rt, size_t i) {
    auto& slot = rt.results[i];
    if (slot) return *slot;
    const RuleKeys& rk = *rt.rule;
    const std::string& token = rt.tokens[i].token;
    if (cache_ && rk.verifier_id != 0) {
      if (auto hit = cache_->find(rk.verifier_id, token, now_)) {
        slot = VerifyResult{*hit, Failure::kVerificationFail};
        return *slot;
      }
    }
    slot = verify(token, VerifyRule{rk.rule->issuer, &rk.rule->audiences}, rk.keys, now_);
    if (slot->ok() && cache_ && rk.verifier_id != 0) {
      cache_->insert(rk.verifier_id, token, std::make_shared<const VerifiedToken>(*slot->token));
    }
    return *slot;
  }

 private:
  uint64_t now_;
  TokenCache* cache_;
};

}  // namespace

std::optional<std::string> claim_header_value(const json& payload, std::string_view claim) {
  const json* node = &payload;
  while (true) {
    const size_t dot = claim.find('.');
    if (!node->is_object()) return std::nullopt;
    auto it = node->find(std::string(claim.substr(0, dot)));
    if (it == node->end()) return std::nullopt;
    node = &*it;
    if (dot == claim.npos) break;
    claim.remove_prefix(dot + 1);
  }
  std::string value;
  if (node->is_string()) {
    value = node->get<std::string>();
  } else if (node->is_boolean()) {
    value = node->get<bool>() ? "true" : "false";
  } else if (node->is_number_unsigned()) {
    value = std::to_string(node->get<uint64_t>());
  } else if (node->is_number()) {
    // As Envoy, whose claims are doubles: whole non-negative values print as integers.
    const double d = node->get<double>();
    double whole = 0;
    if (d < 0 || d >= static_cast<double>(std::numeric_limits<uint64_t>::max()) ||
        std::modf(d, &whole) != 0) {
      value = std::to_string(d);
    } else {
      value = std::to_string(static_cast<uint64_t>(d));
    }
  }
  if (value.empty()) return std::nullopt;
  return value;
}

AuthDecision authenticate(std::span<const RuleKeys> rules, const AuthRequest& request, uint64_t now,
                          TokenCache* cache) {
  AuthDecision decision;
  if (rules.empty() || is_cors_preflight(request)) return decision;

  std::vector<RuleTokens> by_issuer;
  for (const auto& rk : rules) {
    if (rk.rule) by_issuer.push_back(RuleTokens{&rk, {}, {}});
  }
  std::stable_sort(by_issuer.begin(), by_issuer.end(), [](const auto& a, const auto& b) {
    return a.rule->rule->issuer < b.rule->rule->issuer;
  });

  for (const auto& rt : by_issuer) {
    const auto& rule = *rt.rule->rule;
    if (!rule.output_payload_to_header.empty()) {
      add_remove(decision.header_ops, lower(rule.output_payload_to_header));
    }
    for (const auto& c : rule.output_claim_to_headers)
      add_remove(decision.header_ops, lower(c.header));
  }

  std::string_view query;
  if (auto q = request.path.find('?'); q != request.path.npos) query = request.path.substr(q + 1);
  bool any_token = false;
  for (auto& rt : by_issuer) {
    const auto locations = locations_of(*rt.rule->rule);
    rt.tokens = extract_tokens(locations, request.headers, query);
    rt.results.resize(rt.tokens.size());
    any_token = any_token || !rt.tokens.empty();
  }
  if (!any_token) return decision;

  Verifier verifier(now, cache);
  // A provider passes when every token at its locations verifies (checked last to first, as
  // Envoy pops them).
  for (auto& rt : by_issuer) {
    if (rt.tokens.empty()) continue;
    bool all_ok = true;
    for (size_t i = rt.tokens.size(); i-- > 0;) {
      if (!verifier.result(rt, i).ok()) {
        all_ok = false;
        break;
      }
    }
    if (!all_ok) continue;

    const auto& rule = *rt.rule->rule;
    for (size_t i = rt.tokens.size(); i-- > 0;) {
      const VerifiedToken& v = *rt.results[i]->token;
      if (!rule.output_payload_to_header.empty()) {
        decision.header_ops.push_back(
            {HeaderOp::Kind::kAppend, lower(rule.output_payload_to_header), v.payload_segment});
      }
      for (const auto& c : rule.output_claim_to_headers) {
        if (auto value = claim_header_value(v.claims, c.claim)) {
          decision.header_ops.push_back({HeaderOp::Kind::kAppend, lower(c.header), *value});
        }
      }
      if (!rule.forward_original_token) {
        const auto& loc = rt.tokens[i].location;
        if (loc.source == Source::kHeader) {
          add_remove(decision.header_ops, loc.name);
        } else if (loc.source == Source::kParam &&
                   std::find(decision.remove_query_params.begin(),
                             decision.remove_query_params.end(),
                             loc.name) == decision.remove_query_params.end()) {
          decision.remove_query_params.push_back(loc.name);
        }
      }
    }
    // The identity is the last token checked, i.e. the first one found (Envoy's metadata).
    const VerifiedToken& v = *rt.results[0]->token;
    decision.identity = Identity{v.issuer,    v.subject,   v.issuer + "/" + v.subject,
                                 v.audiences, v.presenter, normalise_claims(v.claims, rule)};
    return decision;
  }

  // Every provider failed: the first rule (by issuer) holding a token reports its first failure.
  for (auto& rt : by_issuer) {
    for (size_t i = 0; i < rt.tokens.size(); ++i) {
      const VerifyResult& r = verifier.result(rt, i);
      if (r.ok()) continue;
      decision.header_ops.clear();
      decision.remove_query_params.clear();
      decision.denial = Denial{r.failure, http_status(r.failure), std::string(message(r.failure)),
                               realm(request)};
      return decision;
    }
  }
  return decision;  // unreachable: a rule with tokens that all verify has passed above
}

}  // namespace zmesh::jwt
