// connectionPool settings that shape upstream connections (not the circuit breakers:
// circuit_breaker_limits.h), with Istio's and Envoy's defaults filled in
// (cluster_traffic_policy.go applyConnectionPool, Envoy's cluster and HTTP/2 options).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "state/traffic_policy.h"

namespace zmesh::upstream {

struct ConnectionSettings {
  using ms = std::chrono::milliseconds;
  // tcp.tcpKeepalive: SO_KEEPALIVE with the fields set; unset fields keep the OS defaults.
  struct Keepalive {
    std::optional<uint32_t> probes;  // TCP_KEEPCNT
    std::optional<ms> time;          // TCP_KEEPIDLE
    std::optional<ms> interval;      // TCP_KEEPINTVL
  };
  // http.http2KeepAlive: a PING every `interval`; no ACK within `timeout` closes the connection.
  struct Http2Keepalive {
    ms interval{0};
    ms timeout{0};
  };

  ms connect_timeout{10'000};          // tcp.connectTimeout (the mesh's default)
  std::optional<Keepalive> keepalive;  // nullopt: no SO_KEEPALIVE set by us
  // tcp.idleTimeout for byte streams; nullopt: disabled (0s).
  std::optional<ms> tcp_idle_timeout = ms{3'600'000};
  // Idle pooled HTTP connections: http.idleTimeout, else tcp.idleTimeout (Envoy applies
  // the latter to every upstream connection), else 1h; nullopt: disabled (0s).
  std::optional<ms> http_idle_timeout = ms{3'600'000};
  std::optional<ms> max_connection_duration;  // tcp.maxConnectionDuration; nullopt: unlimited
  uint32_t max_concurrent_streams = 0;        // per HTTP/2 connection; 0: the server's setting
  std::optional<Http2Keepalive> http2_keepalive;
  bool use_client_protocol = false;
};

// From the merged policy's connectionPool (nullopt or absent blocks: all defaults).
ConnectionSettings connection_settings(const std::optional<state::ConnectionPoolSettings>& pool);

}  // namespace zmesh::upstream
