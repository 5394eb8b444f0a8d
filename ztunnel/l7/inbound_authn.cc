#include "l7/inbound_authn.h"

#include <algorithm>
#include <functional>

#include "jwt/authenticate.h"
#include "l7/grpc_status.h"
#include "l7/route_request.h"

namespace zmesh::l7 {
namespace {

// Which rule with which keys verified a token: stable across snapshots while the rule's issuer,
// audiences and key set stay, so cached tokens survive unrelated config changes.
uint64_t verifier_id(const state::JwtRule& rule, uint64_t keys_version) {
  uint64_t h = std::hash<std::string>{}(rule.issuer);
  auto mix = [&h](uint64_t x) { h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  for (const auto& a : rule.audiences) mix(std::hash<std::string>{}(a));
  mix(std::hash<std::string>{}(rule.jwks_uri));
  mix(std::hash<std::string>{}(rule.jwks));
  mix(keys_version);
  return h == 0 ? 1 : h;
}

}  // namespace

std::string strip_query_params(std::string_view target, const std::vector<std::string>& names) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos || names.empty()) return std::string(target);
  std::string out(target.substr(0, q));
  std::string_view query = target.substr(q + 1);
  bool first = true;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    std::string_view name = pair.substr(0, pair.find('='));
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    out += first ? '?' : '&';
    out += pair;
    first = false;
  }
  return out;
}

AuthnOutcome authenticate_request(const std::vector<const state::JwtRule*>& rules,
                                  const jwt::JwksStore* store, jwt::TokenCache& cache,
                                  Request& request, uint64_t now) {
  std::vector<jwt::JwksStore::Keys> keys;
  keys.reserve(rules.size());
  std::vector<jwt::RuleKeys> with_keys;
  with_keys.reserve(rules.size());
  for (const auto* rule : rules) {
    keys.push_back(store ? store->keys_for(*rule) : jwt::JwksStore::Keys{});
    with_keys.push_back({rule, keys.back().keys.get(), verifier_id(*rule, keys.back().version)});
  }
  const auto target = request.target();
  const auto host = request[http::field::host];
  const auto method = request.method_string();
  jwt::AuthRequest view;
  view.method = {method.data(), method.size()};
  view.host = {host.data(), host.size()};
  view.path = {target.data(), target.size()};
  view.headers = [&request](std::string_view name) {
    std::vector<std::string_view> values;
    auto range = request.equal_range(boost::beast::string_view(name.data(), name.size()));
    for (auto it = range.first; it != range.second; ++it)
      values.emplace_back(it->value().data(), it->value().size());
    return values;
  };
  auto decision = jwt::authenticate(with_keys, view, now, &cache);

  AuthnOutcome out;
  if (decision.denial) {
    const auto& d = *decision.denial;
    out.reply = make_local_response(static_cast<uint32_t>(d.status), d.body, request.version(),
                                    is_grpc_request(request));
    out.reply->set(http::field::www_authenticate, d.www_authenticate);
    return out;
  }
  if (decision.identity) {
    auto& id = *decision.identity;
    out.caller = rbac::RequestAuth{std::move(id.principal), std::move(id.audiences),
                                   std::move(id.presenter), std::move(id.claims)};
  }
  for (const auto& op : decision.header_ops) {
    if (op.kind == jwt::HeaderOp::Kind::kRemove)
      request.erase(boost::beast::string_view(op.name.data(), op.name.size()));
    else
      request.insert(boost::beast::string_view(op.name.data(), op.name.size()), op.value);
  }
  if (!decision.remove_query_params.empty())
    request.target(
        strip_query_params({target.data(), target.size()}, decision.remove_query_params));
  return out;
}

}  // namespace zmesh::l7
