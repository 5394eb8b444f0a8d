// DestinationRule's TrafficPolicy and its parts (networking/v1alpha3/destination_rule.proto),
// as written. Istio's defaults (LEAST_REQUEST, ring size 1024, circuit breakers at 2^32-1,
// ...) are applied by the consumer, not stored, so config_dump shows what the user wrote.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "state/istio_common.h"

namespace zmesh::state {

struct ConsistentHashLb {
  enum class Key { kNone, kHttpHeaderName, kHttpCookie, kUseSourceIp, kHttpQueryParameterName };
  struct Cookie {
    std::string name;
    std::string path;
    std::optional<Duration> ttl;  // required by validation; 0s: a session cookie
    std::vector<std::pair<std::string, std::string>> attributes;  // name, value
  };
  Key key = Key::kNone;
  std::string http_header_name;
  Cookie http_cookie;
  std::string http_query_parameter_name;
  bool use_source_ip = false;
  // Algorithm: ringHash (the default, ring size 1024) or maglev (table 65537); 0 is unset.
  enum class Algorithm { kUnset, kRingHash, kMaglev };
  Algorithm algorithm = Algorithm::kUnset;
  uint64_t ring_hash_minimum_ring_size = 0;
  uint64_t maglev_table_size = 0;
  uint64_t minimum_ring_size = 0;  // deprecated top-level field, exclusive with an algorithm
};

struct LocalityLbSetting {
  struct Distribute {
    std::string from;
    std::map<std::string, uint32_t> to;  // locality -> weight, summing to 100
  };
  struct Failover {
    std::string from;
    std::string to;
  };
  std::vector<Distribute> distribute;
  std::vector<Failover> failover;
  std::vector<std::string> failover_priority;
  std::optional<bool> enabled;
};

struct ZoneAwareLbSetting {
  std::optional<bool> enabled;
  std::vector<LocalityLbSetting::Failover> failover;
  std::vector<std::string> failover_priority;
  std::optional<uint32_t> min_cluster_size;
};

struct WarmupConfiguration {
  Duration duration{0};
  std::optional<double> minimum_percent;  // default 10
  std::optional<double> aggression;       // default 1.0
};

struct BackendUtilizationLb {
  std::optional<Duration> weight_update_period, weight_expiration_period,
      weight_stabilization_period;
  std::optional<uint32_t> error_utilization_penalty_percent;
  std::vector<std::string> metric_names_for_computing_utilization;
};

struct LoadBalancerSettings {
  // UNSPECIFIED means LEAST_REQUEST; LEAST_CONN is a deprecated alias of it.
  enum class Simple { kUnspecified, kLeastConn, kRandom, kPassthrough, kRoundRobin, kLeastRequest };
  std::optional<Simple> simple;
  std::optional<ConsistentHashLb> consistent_hash;
  std::optional<BackendUtilizationLb> backend_utilization;
  std::optional<LocalityLbSetting> locality_lb_setting;
  std::optional<ZoneAwareLbSetting> zone_aware_lb_setting;
  std::optional<Duration> warmup_duration_secs;  // deprecated by warmup
  std::optional<WarmupConfiguration> warmup;
};

struct TcpSettings {
  std::optional<int32_t> max_connections;
  std::optional<Duration> connect_timeout;
  struct Keepalive {
    std::optional<uint32_t> probes;
    std::optional<Duration> time;
    std::optional<Duration> interval;
  };
  std::optional<Keepalive> tcp_keepalive;
  std::optional<Duration> max_connection_duration;
  std::optional<Duration> idle_timeout;  // 0s disables
};

struct HttpSettings {
  enum class H2Upgrade { kDefault, kDoNotUpgrade, kUpgrade };
  std::optional<int32_t> http1_max_pending_requests;  // 0 is treated as unset
  std::optional<int32_t> http2_max_requests;
  std::optional<int32_t> max_requests_per_connection;  // 0: unlimited
  std::optional<int32_t> max_retries;
  std::optional<Duration> idle_timeout;
  std::optional<H2Upgrade> h2_upgrade_policy;
  std::optional<bool> use_client_protocol;
  std::optional<int32_t> max_concurrent_streams;
  struct KeepAlive {
    std::optional<Duration> interval;
    std::optional<Duration> timeout;
  };
  std::optional<KeepAlive> http2_keep_alive;
};

struct ConnectionPoolSettings {
  std::optional<TcpSettings> tcp;
  std::optional<HttpSettings> http;
};

struct OutlierDetection {
  std::optional<int32_t> consecutive_errors;  // deprecated
  std::optional<bool> split_external_local_origin_errors;
  std::optional<uint32_t> consecutive_local_origin_failures;
  std::optional<uint32_t> consecutive_gateway_errors;
  std::optional<uint32_t> consecutive_5xx_errors;
  std::optional<Duration> interval;
  std::optional<Duration> base_ejection_time;
  std::optional<int32_t> max_ejection_percent;
  std::optional<int32_t> min_health_percent;
  std::vector<uint32_t> outlier_detection_http_error_codes;
};

struct ClientTlsSettings {
  enum class Mode { kDisable, kSimple, kMutual, kIstioMutual };
  Mode mode = Mode::kDisable;
  std::string client_certificate;
  std::string private_key;
  std::string ca_certificates;
  std::string credential_name;
  std::vector<std::string> subject_alt_names;
  std::string sni;
  std::optional<bool> insecure_skip_verify;
  std::string ca_crl;
};

// The blocks a port-level setting may override, each replaced whole.
struct PortTrafficPolicy {
  std::optional<uint32_t> port;  // port.number
  std::optional<LoadBalancerSettings> load_balancer;
  std::optional<ConnectionPoolSettings> connection_pool;
  std::optional<OutlierDetection> outlier_detection;
  std::optional<ClientTlsSettings> tls;
};

struct TunnelSettings {
  std::string protocol;  // CONNECT (default) or POST
  std::string target_host;
  uint32_t target_port = 0;
};

struct RetryBudget {
  std::optional<double> percent;  // default 20
  std::optional<uint32_t> min_retry_concurrency;
  std::optional<Duration> budget_interval;
};

struct TrafficPolicy {
  std::optional<LoadBalancerSettings> load_balancer;
  std::optional<ConnectionPoolSettings> connection_pool;
  std::optional<OutlierDetection> outlier_detection;
  std::optional<ClientTlsSettings> tls;
  std::vector<PortTrafficPolicy> port_level_settings;
  std::optional<TunnelSettings> tunnel;
  enum class ProxyProtocolVersion { kV1, kV2 };
  std::optional<ProxyProtocolVersion> proxy_protocol;  // proxyProtocol.version
  std::optional<RetryBudget> retry_budget;
};

}  // namespace zmesh::state
