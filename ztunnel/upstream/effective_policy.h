// Everything the proxy needs to send a request to one destination (host, subset, port): the
// merged TrafficPolicy and, from it, the balancer, circuit-breaker and outlier settings with
// Istio's defaults filled in.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "state/destination_rule.h"
#include "upstream/circuit_breaker_limits.h"
#include "upstream/lb_config.h"
#include "upstream/outlier_config.h"

namespace zmesh::upstream {

struct EffectivePolicy {
  state::TrafficPolicy traffic_policy;   // merge_traffic_policy(); no portLevelSettings
  LbConfig load_balancer;                // unset: LEAST_REQUEST
  CircuitBreakerLimits limits;           // unset: unlimited (2^32-1)
  std::optional<OutlierConfig> outlier;  // unset: no outlier detection
};

// `rule`: the DestinationRule for the host, or nullptr when none applies (all defaults).
// `subset`: the route's subset name, empty for the whole host. `port`: the Service port.
// nullopt when a subset is named that the rule does not define (or there is no rule): Istio
// has no cluster for it, and the request fails with 503.
std::optional<EffectivePolicy> effective_policy(const state::DestinationRule* rule,
                                                std::string_view subset, uint32_t port);

}  // namespace zmesh::upstream
