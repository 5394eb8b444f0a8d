#include "rbac/authorize.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "rbac/policy_match.h"

namespace zmesh::rbac {
namespace {

using state::AuthorizationPolicy;
using state::AuthzAction;

bool any_matches(const std::vector<const AuthorizationPolicy*>& list, const ConnectionView& conn,
                 HttpParts http) {
  return std::any_of(list.begin(), list.end(),
                     [&](const AuthorizationPolicy* p) { return policy_matches(*p, conn, http); });
}

nlohmann::json connection_json(const ConnectionView& conn) {
  nlohmann::json j;
  j["src.addr"] = conn.src_ip.to_string();
  if (conn.source) j["src.identity"] = conn.source->uri();
  j["dst.addr"] = conn.dst_ip.to_string() + ":" + std::to_string(conn.dst_port);
  return j;
}

// Istio's dry-run: the shadow decision of the dry-run policies alone, with the same order
// (a dry-run DENY match denies; dry-run ALLOW policies none of which matches deny).
void evaluate_dry_run(const std::vector<const AuthorizationPolicy*>& dry_run,
                      const ConnectionView& conn, Decision& d) {
  const AuthorizationPolicy* effective = nullptr;  // the first matching dry-run DENY
  bool has_allow = false, allow_matched = false;
  for (const auto* p : dry_run) {
    if (p->action == AuthzAction::kDeny) {
      if (!effective && policy_matches(*p, conn, HttpParts::kStrip)) effective = p;
    } else {
      has_allow = true;
      allow_matched = allow_matched || policy_matches(*p, conn, HttpParts::kDropRule);
    }
  }
  d.dry_run_would_deny = effective != nullptr || (has_allow && !allow_matched);
  if (!d.dry_run_would_deny) return;
  counters().dry_run_denied.fetch_add(1, std::memory_order_relaxed);
  auto j = connection_json(conn);
  j["dry_run"] = true;
  j["decision"] = "deny";
  j["reason"] = effective ? "explicitly denied by: " + policy_key(*effective)
                          : std::string("allow policies exist, but none allowed");
  spdlog::info("rbac dry-run {}", j.dump());
}

}  // namespace

std::string policy_key(const AuthorizationPolicy& p) {
  return p.meta.namespace_ + "/" + p.meta.name;
}

Counters& counters() {
  static Counters c;
  return c;
}

Decision enforce(const state::ApplicablePolicies& policies, const ConnectionView& conn) {
  Decision d;
  for (const auto* p : policies.deny) {
    if (policy_matches(*p, conn, HttpParts::kStrip)) {
      d.allowed = false;
      d.denied_by = p;
      d.reason = "explicitly denied by: " + policy_key(*p);
      break;
    }
  }
  if (d.allowed && !policies.allow.empty() &&
      !any_matches(policies.allow, conn, HttpParts::kDropRule)) {
    d.allowed = false;
    d.reason = "allow policies exist, but none allowed";
  }
  return d;
}

Decision authorize(const state::ApplicablePolicies& policies, const ConnectionView& conn) {
  Decision d = enforce(policies, conn);
  (d.allowed ? counters().allowed : counters().denied).fetch_add(1, std::memory_order_relaxed);

  if (!policies.dry_run.empty()) evaluate_dry_run(policies.dry_run, conn, d);

  // AUDIT rules are converted like DENY ones (Istio's TCP filter treats every non-ALLOW
  // action so): HTTP parts are stripped.
  for (const auto* p : policies.audit) {
    if (!policy_matches(*p, conn, HttpParts::kStrip)) continue;
    d.audited.push_back(p);
    counters().audited.fetch_add(1, std::memory_order_relaxed);
    auto j = connection_json(conn);
    j["policy"] = policy_key(*p);
    j["decision"] = d.allowed ? "allow" : "deny";
    spdlog::info("rbac audit {}", j.dump());
  }

  if (!policies.custom.empty()) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true))
      spdlog::warn("AuthorizationPolicy {} is CUSTOM: enforced on ports that speak HTTP only",
                   policy_key(*policies.custom.front()));
  }
  return d;
}

}  // namespace zmesh::rbac
