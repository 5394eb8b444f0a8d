#include "upstream/traffic_policy_merge.h"

namespace zmesh::upstream {
namespace {

// GetPortLevelTrafficPolicy: the policy as it applies to `port`, and whether a
// portLevelSettings entry matched (the first one naming the port, as Istio).
state::TrafficPolicy for_port(const state::TrafficPolicy& policy, uint32_t port, bool& matched) {
  for (const auto& setting : policy.port_level_settings) {
    if (setting.port && *setting.port == port) {
      matched = true;
      state::TrafficPolicy out;
      out.load_balancer = setting.load_balancer;
      out.connection_pool = setting.connection_pool;
      out.outlier_detection = setting.outlier_detection;
      out.tls = setting.tls;
      return out;
    }
  }
  matched = false;
  state::TrafficPolicy out = policy;
  out.port_level_settings.clear();
  return out;
}

template <typename T>
void override_block(std::optional<T>& merged, const std::optional<T>& subset, bool wholesale) {
  if (subset || wholesale) merged = subset;
}

}  // namespace

state::TrafficPolicy merge_traffic_policy(const state::DestinationRule& rule,
                                          const state::Subset* subset, uint32_t port) {
  bool matched = false;
  state::TrafficPolicy merged;
  if (rule.traffic_policy) merged = for_port(*rule.traffic_policy, port, matched);
  if (subset == nullptr || !subset->traffic_policy) return merged;

  const state::TrafficPolicy own = for_port(*subset->traffic_policy, port, matched);
  override_block(merged.connection_pool, own.connection_pool, matched);
  override_block(merged.outlier_detection, own.outlier_detection, matched);
  override_block(merged.load_balancer, own.load_balancer, matched);
  override_block(merged.tls, own.tls, matched);
  override_block(merged.tunnel, own.tunnel, false);
  override_block(merged.proxy_protocol, own.proxy_protocol, false);
  override_block(merged.retry_budget, own.retry_budget, false);
  return merged;
}

}  // namespace zmesh::upstream
