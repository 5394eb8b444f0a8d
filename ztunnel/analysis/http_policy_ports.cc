#include "analysis/http_policy_ports.h"

#include <algorithm>
#include <map>
#include <set>

#include "rbac/authorize.h"
#include "rbac/policy_match.h"
#include "routing/http_target.h"
#include "state/selector.h"

namespace zmesh::analysis {
namespace {

// Whether some Service port selecting `w` reaches a port of it that speaks HTTP.
bool has_http_port(const routing::L7Config& config, const state::Workload& w) {
  for (const auto& service : config.snapshot()->services()) {
    if (service->namespace_ != w.namespace_) continue;
    for (const auto& sp : service->ports) {
      uint16_t port = state::target_port_on(sp, w);
      if (port != 0 && routing::inbound_speaks_http(config, w, port)) return true;
    }
  }
  return false;
}

// "rule 2" (1-based) of the first rule naming an HTTP attribute; empty when none does.
std::string first_http_rule(const state::AuthorizationPolicy& p) {
  for (size_t i = 0; i < p.rules.size(); ++i)
    if (rbac::has_http_attributes(p.rules[i])) return "rule " + std::to_string(i + 1);
  return "";
}

std::string l4_meaning(const state::AuthorizationPolicy& p) {
  switch (p.action) {
    case state::AuthzAction::kAllow:
      return "at L4 an ALLOW rule with HTTP fields never matches";
    case state::AuthzAction::kDeny:
      return "at L4 a DENY rule applies without its HTTP fields (it refuses the whole connection)";
    default:
      return "at L4 a rule with HTTP fields never matches";
  }
}

}  // namespace

std::vector<Finding> http_rules_on_l4_ports(const routing::L7Config& config) {
  const auto& snapshot = *config.snapshot();
  // policy key -> (policy, workloads without an HTTP port it applies to)
  std::map<std::string, std::pair<const state::AuthorizationPolicy*, std::set<std::string>>> hits;
  std::set<std::string> served_http;  // policies that meet an HTTP port somewhere
  for (const auto& w : snapshot.workloads()) {
    if (!w->ambient || w->host_network) continue;  // only the mesh's pods meet ztunnel
    auto applicable = snapshot.authz_policies_for(*w);
    bool http = has_http_port(config, *w);
    for (const auto* list :
         {&applicable.deny, &applicable.allow, &applicable.audit, &applicable.dry_run}) {
      for (const auto* p : *list) {
        if (first_http_rule(*p).empty()) continue;
        auto key = rbac::policy_key(*p);
        if (http) {
          served_http.insert(key);
          continue;
        }
        auto& hit = hits[key];
        hit.first = p;
        hit.second.insert(w->uid);
      }
    }
  }
  std::vector<Finding> out;
  for (const auto& [key, hit] : hits) {
    const auto& [p, workloads] = hit;
    std::string names;
    size_t shown = 0;
    for (const auto& uid : workloads) {
      if (shown++ == 3) {
        names += ", ...";
        break;
      }
      names += (names.empty() ? "" : ", ") + uid;
    }
    std::string where = served_http.count(key) ? "some workloads it applies to (" + names + ")"
                                               : "the workloads it applies to (" + names + ")";
    out.push_back(
        {"AuthorizationPolicy " + key,
         first_http_rule(*p) + " names HTTP attributes, but no Service port of " + where +
             " speaks HTTP, so ztunnel decides it per connection there: " + l4_meaning(*p) +
             ". Name the Service port http, http2 or grpc (or set appProtocol) to "
             "have each request decided."});
  }
  std::sort(out.begin(), out.end(),
            [](const Finding& a, const Finding& b) { return a.object < b.object; });
  return out;
}

}  // namespace zmesh::analysis
