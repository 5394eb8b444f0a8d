#include "upstream/service_destination_rule.h"

#include <algorithm>
#include <tuple>

#include "state/oldest_first.h"

namespace zmesh::upstream {
namespace {

bool exported_everywhere(const state::DestinationRule& rule) {
  return rule.export_to.empty() ||
         std::find(rule.export_to.begin(), rule.export_to.end(), "*") != rule.export_to.end();
}

}  // namespace

std::string qualified_rule_host(const state::DestinationRule& rule) {
  if (rule.host.find('.') != std::string::npos || rule.host.find('*') != std::string::npos)
    return rule.host;
  return rule.host + "." + rule.meta.namespace_ + ".svc.cluster.local";
}

size_t host_match_rank(const std::string& rule_host, const std::string& hostname) {
  if (rule_host == hostname) return std::string::npos;  // exact: above every wildcard
  if (rule_host == "*") return 1;
  if (rule_host.size() > 1 && rule_host.starts_with("*.") &&
      hostname.ends_with(std::string_view(rule_host).substr(1)))
    return rule_host.size();
  return 0;
}

const state::DestinationRule* service_destination_rule(
    const std::vector<std::shared_ptr<const state::DestinationRule>>& rules,
    const state::ServiceInfo& service, const std::string& root_namespace) {
  const state::DestinationRule* best = nullptr;
  // Higher is better for the first two; then the oldest (state/oldest_first.h).
  auto rank = [&](const state::DestinationRule& r) {
    bool own_namespace = r.meta.namespace_ == service.namespace_;
    return std::make_tuple(own_namespace,
                           host_match_rank(qualified_rule_host(r), service.hostname));
  };
  for (const auto& rule : rules) {
    const auto& r = *rule;
    if (r.workload_selector || !exported_everywhere(r)) continue;
    if (r.meta.namespace_ != service.namespace_ && r.meta.namespace_ != root_namespace) continue;
    if (host_match_rank(qualified_rule_host(r), service.hostname) == 0) continue;
    if (!best || rank(r) > rank(*best) ||
        (rank(r) == rank(*best) && state::older(r.meta, best->meta)))
      best = &r;
  }
  return best;
}

}  // namespace zmesh::upstream
