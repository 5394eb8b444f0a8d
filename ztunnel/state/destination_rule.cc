#include "state/destination_rule.h"

#include "state/virtual_service.h"  // duration_json

namespace zmesh::state {
namespace {

using nlohmann::json;

// Only what was written: unset optionals and empty strings/lists are left out.
template <typename T>
void put(json& j, const char* key, const T& value) {
  if (!value.empty()) j[key] = value;
}
template <typename T>
void put(json& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}
void put(json& j, const char* key, const std::optional<Duration>& value) {
  if (value) j[key] = duration_json(*value);
}

json failover_json(const std::vector<LocalityLbSetting::Failover>& list) {
  json out = json::array();
  for (const auto& f : list) out.push_back({{"from", f.from}, {"to", f.to}});
  return out;
}

json consistent_hash_json(const ConsistentHashLb& c) {
  json j = json::object();
  using Key = ConsistentHashLb::Key;
  switch (c.key) {
    case Key::kNone:
      break;
    case Key::kHttpHeaderName:
      j["httpHeaderName"] = c.http_header_name;
      break;
    case Key::kHttpQueryParameterName:
      j["httpQueryParameterName"] = c.http_query_parameter_name;
      break;
    case Key::kUseSourceIp:
      j["useSourceIp"] = c.use_source_ip;
      break;
    case Key::kHttpCookie: {
      json cookie = {{"name", c.http_cookie.name}};
      put(cookie, "path", c.http_cookie.path);
      put(cookie, "ttl", c.http_cookie.ttl);
      for (const auto& [name, value] : c.http_cookie.attributes) {
        cookie["attributes"].push_back({{"name", name}, {"value", value}});
      }
      j["httpCookie"] = cookie;
      break;
    }
  }
  using Algorithm = ConsistentHashLb::Algorithm;
  if (c.algorithm == Algorithm::kRingHash) {
    j["ringHash"] = json::object();
    if (c.ring_hash_minimum_ring_size)
      j["ringHash"]["minimumRingSize"] = c.ring_hash_minimum_ring_size;
  }
  if (c.algorithm == Algorithm::kMaglev) j["maglev"] = {{"tableSize", c.maglev_table_size}};
  if (c.minimum_ring_size) j["minimumRingSize"] = c.minimum_ring_size;
  return j;
}

json load_balancer_json(const LoadBalancerSettings& lb) {
  static const char* kSimple[] = {"UNSPECIFIED", "LEAST_CONN",  "RANDOM",
                                  "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"};
  json j = json::object();
  if (lb.simple) j["simple"] = kSimple[static_cast<int>(*lb.simple)];
  if (lb.consistent_hash) j["consistentHash"] = consistent_hash_json(*lb.consistent_hash);
  if (const auto& b = lb.backend_utilization) {
    json bj = json::object();
    put(bj, "weightUpdatePeriod", b->weight_update_period);
    put(bj, "weightExpirationPeriod", b->weight_expiration_period);
    put(bj, "weightStabilizationPeriod", b->weight_stabilization_period);
    put(bj, "errorUtilizationPenaltyPercent", b->error_utilization_penalty_percent);
    put(bj, "metricNamesForComputingUtilization", b->metric_names_for_computing_utilization);
    j["backendUtilization"] = bj;
  }
  if (const auto& l = lb.locality_lb_setting) {
    json lj = json::object();
    if (!l->distribute.empty()) {
      lj["distribute"] = json::array();
      for (const auto& d : l->distribute)
        lj["distribute"].push_back({{"from", d.from}, {"to", d.to}});
    }
    if (!l->failover.empty()) lj["failover"] = failover_json(l->failover);
    put(lj, "failoverPriority", l->failover_priority);
    put(lj, "enabled", l->enabled);
    j["localityLbSetting"] = lj;
  }
  if (const auto& z = lb.zone_aware_lb_setting) {
    json zj = json::object();
    put(zj, "enabled", z->enabled);
    if (!z->failover.empty()) zj["failover"] = failover_json(z->failover);
    put(zj, "failoverPriority", z->failover_priority);
    put(zj, "minClusterSize", z->min_cluster_size);
    j["zoneAwareLbSetting"] = zj;
  }
  put(j, "warmupDurationSecs", lb.warmup_duration_secs);
  if (lb.warmup) {
    json w = {{"duration", duration_json(lb.warmup->duration)}};
    put(w, "minimumPercent", lb.warmup->minimum_percent);
    put(w, "aggression", lb.warmup->aggression);
    j["warmup"] = w;
  }
  return j;
}

json connection_pool_json(const ConnectionPoolSettings& cp) {
  json j = json::object();
  if (const auto& t = cp.tcp) {
    json tj = json::object();
    put(tj, "maxConnections", t->max_connections);
    put(tj, "connectTimeout", t->connect_timeout);
    if (const auto& k = t->tcp_keepalive) {
      json kj = json::object();
      put(kj, "probes", k->probes);
      put(kj, "time", k->time);
      put(kj, "interval", k->interval);
      tj["tcpKeepalive"] = kj;
    }
    put(tj, "maxConnectionDuration", t->max_connection_duration);
    put(tj, "idleTimeout", t->idle_timeout);
    j["tcp"] = tj;
  }
  if (const auto& h = cp.http) {
    static const char* kUpgrade[] = {"DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"};
    json hj = json::object();
    put(hj, "http1MaxPendingRequests", h->http1_max_pending_requests);
    put(hj, "http2MaxRequests", h->http2_max_requests);
    put(hj, "maxRequestsPerConnection", h->max_requests_per_connection);
    put(hj, "maxRetries", h->max_retries);
    put(hj, "idleTimeout", h->idle_timeout);
    if (h->h2_upgrade_policy)
      hj["h2UpgradePolicy"] = kUpgrade[static_cast<int>(*h->h2_upgrade_policy)];
    put(hj, "useClientProtocol", h->use_client_protocol);
    put(hj, "maxConcurrentStreams", h->max_concurrent_streams);
    if (const auto& k = h->http2_keep_alive) {
      json kj = json::object();
      put(kj, "interval", k->interval);
      put(kj, "timeout", k->timeout);
      hj["http2KeepAlive"] = kj;
    }
    j["http"] = hj;
  }
  return j;
}

json outlier_json(const OutlierDetection& o) {
  json j = json::object();
  put(j, "consecutiveErrors", o.consecutive_errors);
  put(j, "splitExternalLocalOriginErrors", o.split_external_local_origin_errors);
  put(j, "consecutiveLocalOriginFailures", o.consecutive_local_origin_failures);
  put(j, "consecutiveGatewayErrors", o.consecutive_gateway_errors);
  put(j, "consecutive5xxErrors", o.consecutive_5xx_errors);
  put(j, "interval", o.interval);
  put(j, "baseEjectionTime", o.base_ejection_time);
  put(j, "maxEjectionPercent", o.max_ejection_percent);
  put(j, "minHealthPercent", o.min_health_percent);
  put(j, "outlierDetectionHttpErrorCodes", o.outlier_detection_http_error_codes);
  return j;
}

json tls_json(const ClientTlsSettings& t) {
  static const char* kModes[] = {"DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"};
  json j = {{"mode", kModes[static_cast<int>(t.mode)]}};
  put(j, "clientCertificate", t.client_certificate);
  put(j, "privateKey", t.private_key);
  put(j, "caCertificates", t.ca_certificates);
  put(j, "credentialName", t.credential_name);
  put(j, "subjectAltNames", t.subject_alt_names);
  put(j, "sni", t.sni);
  put(j, "insecureSkipVerify", t.insecure_skip_verify);
  put(j, "caCrl", t.ca_crl);
  return j;
}

json traffic_policy_json(const TrafficPolicy& p) {
  json j = json::object();
  if (p.load_balancer) j["loadBalancer"] = load_balancer_json(*p.load_balancer);
  if (p.connection_pool) j["connectionPool"] = connection_pool_json(*p.connection_pool);
  if (p.outlier_detection) j["outlierDetection"] = outlier_json(*p.outlier_detection);
  if (p.tls) j["tls"] = tls_json(*p.tls);
  if (!p.port_level_settings.empty()) {
    j["portLevelSettings"] = json::array();
    for (const auto& s : p.port_level_settings) {
      json sj = json::object();
      if (s.port) sj["port"] = {{"number", *s.port}};
      if (s.load_balancer) sj["loadBalancer"] = load_balancer_json(*s.load_balancer);
      if (s.connection_pool) sj["connectionPool"] = connection_pool_json(*s.connection_pool);
      if (s.outlier_detection) sj["outlierDetection"] = outlier_json(*s.outlier_detection);
      if (s.tls) sj["tls"] = tls_json(*s.tls);
      j["portLevelSettings"].push_back(sj);
    }
  }
  if (p.tunnel) {
    json t = {{"targetHost", p.tunnel->target_host}, {"targetPort", p.tunnel->target_port}};
    put(t, "protocol", p.tunnel->protocol);
    j["tunnel"] = t;
  }
  if (p.proxy_protocol) {
    j["proxyProtocol"] = {
        {"version", *p.proxy_protocol == TrafficPolicy::ProxyProtocolVersion::kV1 ? "V1" : "V2"}};
  }
  if (p.retry_budget) {
    json b = json::object();
    put(b, "percent", p.retry_budget->percent);
    put(b, "minRetryConcurrency", p.retry_budget->min_retry_concurrency);
    put(b, "budgetInterval", p.retry_budget->budget_interval);
    j["retryBudget"] = b;
  }
  return j;
}

}  // namespace

void to_json(nlohmann::json& j, const DestinationRule& object) {
  j = {{"name", object.meta.name}, {"namespace", object.meta.namespace_}, {"host", object.host}};
  if (object.traffic_policy) j["trafficPolicy"] = traffic_policy_json(*object.traffic_policy);
  if (!object.subsets.empty()) {
    j["subsets"] = json::array();
    for (const auto& s : object.subsets) {
      json sj = {{"name", s.name}};
      put(sj, "labels", s.labels);
      if (s.traffic_policy) sj["trafficPolicy"] = traffic_policy_json(*s.traffic_policy);
      j["subsets"].push_back(sj);
    }
  }
  put(j, "exportTo", object.export_to);
  if (object.workload_selector)
    j["workloadSelector"] = {{"matchLabels", *object.workload_selector}};
}

}  // namespace zmesh::state
