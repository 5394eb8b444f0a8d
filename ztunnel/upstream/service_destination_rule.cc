#include "upstream/service_destination_rule.h"

#include <algorithm>
#include <tuple>

#include "state/oldest_first.h"
#include "state/qualify_host.h"

namespace zmesh::upstream {
namespace {

bool exported_everywhere(const state::DestinationRule& rule) {
  return rule.export_to.empty() ||
         std::find(rule.export_to.begin(), rule.export_to.end(), "*") != rule.export_to.end();
}

}  // namespace

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
  auto host_rank = [&](const state::DestinationRule& r) {
    return host_match_rank(state::qualify_host(r.host, r.meta.namespace_), service.hostname);
  };
  // Higher is better for the first two; then the oldest (state/oldest_first.h).
  auto rank = [&](const state::DestinationRule& r) {
    return std::make_tuple(r.meta.namespace_ == service.namespace_, host_rank(r));
  };
  for (const auto& rule : rules) {
    const auto& r = *rule;
    if (r.workload_selector || !exported_everywhere(r)) continue;
    if (r.meta.namespace_ != service.namespace_ && r.meta.namespace_ != root_namespace) continue;
    if (host_rank(r) == 0) continue;
    if (!best || rank(r) > rank(*best) ||
        (rank(r) == rank(*best) && state::older(r.meta, best->meta)))
      best = &r;
  }
  return best;
}

}  // namespace zmesh::upstream
