// connectionPool as Envoy circuit-breaker thresholds, with Istio's defaults
// (getDefaultCircuitBreakerThresholds): every threshold 2^32-1, i.e. unlimited, not Envoy's own
// 1024 / 1024 / 1024 / 3; a value of 0 or less counts as unset, as in Istio's applyConnectionPool.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include "state/traffic_policy.h"

namespace zmesh::upstream {

inline constexpr uint32_t kUnlimited = std::numeric_limits<uint32_t>::max();

struct CircuitBreakerLimits {
  uint32_t max_connections = kUnlimited;       // tcp.maxConnections
  uint32_t max_pending_requests = kUnlimited;  // http.http1MaxPendingRequests
  uint32_t max_requests = kUnlimited;          // http.http2MaxRequests
  uint32_t max_retries = kUnlimited;           // http.maxRetries
  // http.maxRequestsPerConnection: not a breaker but a cap on one upstream connection's reuse;
  // 0 is unlimited, 1 disables keep-alive.
  uint32_t max_requests_per_connection = 0;

  // Whether a connection that has served `served` requests may take another.
  bool connection_reusable(uint64_t served) const {
    return max_requests_per_connection == 0 || served < max_requests_per_connection;
  }
  bool operator==(const CircuitBreakerLimits&) const = default;
};

CircuitBreakerLimits circuit_breaker_limits(
    const std::optional<state::ConnectionPoolSettings>& pool);

}  // namespace zmesh::upstream
