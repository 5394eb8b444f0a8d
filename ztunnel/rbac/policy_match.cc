#include "rbac/policy_match.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "rbac/field_match.h"
#include "rbac/istio_string_match.h"

namespace zmesh::rbac {
namespace {

using state::AuthzCondition;
using state::AuthzOperation;
using state::AuthzSource;
using state::IpBlock;

bool is_l4_when_key(const std::string& key) {
  return key == "source.ip" || key == "source.namespace" || key == "source.principal" ||
         key == "destination.ip" || key == "destination.port";
}

bool source_is_empty(const AuthzSource& s) {
  return s.principals.empty() && s.not_principals.empty() && s.namespaces.empty() &&
         s.not_namespaces.empty() && s.service_accounts.empty() && s.not_service_accounts.empty() &&
         s.ip_blocks.empty() && s.not_ip_blocks.empty();
}

bool source_matches(const AuthzSource& s, const std::string& policy_ns, const ConnectionView& conn,
                    const std::string& principal) {
  const std::string ns = conn.source_namespace();
  auto by_principal = [&](const std::string& p) { return istio_principal_matches(p, principal); };
  auto by_namespace = [&](const std::string& p) { return istio_string_matches(p, ns); };
  auto by_sa = [&](const std::string& e) { return service_account_matches(e, policy_ns, conn); };
  auto by_ip = [&](const IpBlock& b) { return b.contains(conn.src_ip); };
  return field_holds(s.principals, s.not_principals, by_principal) &&
         field_holds(s.namespaces, s.not_namespaces, by_namespace) &&
         field_holds(s.service_accounts, s.not_service_accounts, by_sa) &&
         field_holds(s.ip_blocks, s.not_ip_blocks, by_ip);
}

bool operation_is_empty(const AuthzOperation& op) {
  return op.ports.empty() && op.not_ports.empty();
}

bool operation_matches(const AuthzOperation& op, const ConnectionView& conn) {
  return field_holds(op.ports, op.not_ports, [&](uint16_t p) { return p == conn.dst_port; });
}

// One `when` value for an L4 key; values that do not convert are dropped, as istiod does.
std::optional<bool> when_value_matches(const std::string& key, const std::string& value,
                                       const ConnectionView& conn, const std::string& principal) {
  if (key == "source.namespace") return istio_string_matches(value, conn.source_namespace());
  if (key == "source.principal") return istio_principal_matches(value, principal);
  if (key == "source.ip" || key == "destination.ip") {
    auto block = IpBlock::parse(value);
    if (!block) return std::nullopt;
    return block->contains(key == "source.ip" ? conn.src_ip : conn.dst_ip);
  }
  unsigned port = 0;  // destination.port
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
  if (ec != std::errc() || end != value.data() + value.size() || port > 65535) return std::nullopt;
  return port == conn.dst_port;
}

// A `when` condition is a clause of one match; a non-L4 key leaves that match empty, and
// an empty match never matches.
bool condition_matches(const AuthzCondition& c, const ConnectionView& conn,
                       const std::string& principal) {
  if (!is_l4_when_key(c.key)) return false;
  bool any_value = false, positive_hit = false, negative_hit = false;
  bool has_positive = false;
  for (const auto& v : c.values) {
    auto m = when_value_matches(c.key, v, conn, principal);
    if (!m) continue;
    any_value = has_positive = true;
    positive_hit |= *m;
  }
  for (const auto& v : c.not_values) {
    auto m = when_value_matches(c.key, v, conn, principal);
    if (!m) continue;
    any_value = true;
    negative_hit |= *m;
  }
  if (!any_value) return false;
  return (!has_positive || positive_hit) && !negative_hit;
}

bool rule_matches(const state::AuthzRule& rule, const std::string& policy_ns,
                  const ConnectionView& conn, const std::string& principal) {
  // Each clause: some non-empty match matches. Clauses are only built from lists that
  // were written, and validation rejects `from: []` / `to: []`.
  if (!rule.to.empty() &&
      std::none_of(rule.to.begin(), rule.to.end(), [&](const AuthzOperation& op) {
        return !operation_is_empty(op) && operation_matches(op, conn);
      }))
    return false;
  if (!rule.from.empty() &&
      std::none_of(rule.from.begin(), rule.from.end(), [&](const AuthzSource& s) {
        return !source_is_empty(s) && source_matches(s, policy_ns, conn, principal);
      }))
    return false;
  return std::all_of(rule.when.begin(), rule.when.end(), [&](const AuthzCondition& c) {
    return condition_matches(c, conn, principal);
  });
}

}  // namespace

bool has_http_attributes(const state::AuthzRule& rule) {
  for (const auto& op : rule.to)
    if (!op.hosts.empty() || !op.not_hosts.empty() || !op.methods.empty() ||
        !op.not_methods.empty() || !op.paths.empty() || !op.not_paths.empty())
      return true;
  for (const auto& s : rule.from)
    if (!s.request_principals.empty() || !s.not_request_principals.empty() ||
        !s.remote_ip_blocks.empty() || !s.not_remote_ip_blocks.empty())
      return true;
  for (const auto& c : rule.when)
    if (!is_l4_when_key(c.key)) return true;
  return false;
}

bool policies_need_http(const state::ApplicablePolicies& policies) {
  if (!policies.custom.empty()) return true;
  auto http = [](const state::AuthorizationPolicy* p) {
    return std::any_of(p->rules.begin(), p->rules.end(), has_http_attributes);
  };
  for (const auto* list : {&policies.deny, &policies.allow, &policies.audit, &policies.dry_run})
    if (std::any_of(list->begin(), list->end(), http)) return true;
  return false;
}

bool decided_per_request(const state::Snapshot& snapshot, const state::Workload& w,
                         const state::ApplicablePolicies& applicable) {
  const auto& authns = snapshot.request_authns();
  if (!authns.empty() && !authns.rules_for(w.namespace_, w.labels).empty()) return true;
  return policies_need_http(applicable);
}

bool policy_matches(const state::AuthorizationPolicy& policy, const ConnectionView& conn,
                    HttpParts http) {
  const std::string principal = conn.principal();
  for (const auto& rule : policy.rules) {
    if (http == HttpParts::kDropRule && has_http_attributes(rule)) continue;
    if (rule_matches(rule, policy.meta.namespace_, conn, principal)) return true;
  }
  return false;
}

}  // namespace zmesh::rbac
