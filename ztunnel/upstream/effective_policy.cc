#include "upstream/effective_policy.h"

#include "upstream/subset.h"
#include "upstream/traffic_policy_merge.h"

namespace zmesh::upstream {

std::optional<EffectivePolicy> effective_policy(const state::DestinationRule* rule,
                                                std::string_view subset_name, uint32_t port) {
  const state::Subset* subset = nullptr;
  if (!subset_name.empty()) {
    if (rule == nullptr || (subset = find_subset(*rule, subset_name)) == nullptr) {
      return std::nullopt;
    }
  }
  EffectivePolicy out;
  if (rule != nullptr) out.traffic_policy = merge_traffic_policy(*rule, subset, port);
  const state::TrafficPolicy& tp = out.traffic_policy;
  out.load_balancer = lb_config(tp.load_balancer);
  out.limits = circuit_breaker_limits(tp.connection_pool);
  out.outlier = outlier_config(tp.outlier_detection);
  return out;
}

}  // namespace zmesh::upstream
