// DestinationRule trafficPolicy (top level, per subset, per port): decoding and Istio's
// validation (validateTrafficPolicy, validateLoadBalancer, validateConnectionPool,
// validateOutlierDetection, ValidateTLS, validateTunnelSettings), errors at field paths.
#include "config/traffic_policy_decoder.h"

#include "config/istio_fields.h"
#include "config/validation.h"

namespace zmesh::config {
namespace {

using namespace state;

// An enum field written as its proto name: nullopt (and an error) for any other string.
template <typename E, size_t N>
std::optional<E> read_enum(const FieldReader& field, const std::pair<const char*, E> (&names)[N]) {
  auto text = field.string();
  if (!text) return std::nullopt;
  std::string all;
  for (const auto& [name, value] : names) {
    if (*text == name) return value;
    all += (all.empty() ? "" : ", ") + std::string(name);
  }
  field.error(quote(*text) + " is not one of " + all);
  return std::nullopt;
}

bool is_prime(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

ConsistentHashLb decode_consistent_hash(const FieldReader& f) {
  ConsistentHashLb out;
  using Key = ConsistentHashLb::Key;
  int keys = 0;
  // The hash key is a oneof: a key written counts, even `useSourceIp: false`.
  if (auto s = f.field("httpHeaderName").string()) {
    out.key = Key::kHttpHeaderName;
    out.http_header_name = *s;
    ++keys;
  }
  if (auto s = f.field("httpQueryParameterName").string()) {
    out.key = Key::kHttpQueryParameterName;
    out.http_query_parameter_name = *s;
    ++keys;
  }
  if (auto b = f.field("useSourceIp").boolean()) {
    out.key = Key::kUseSourceIp;
    out.use_source_ip = *b;
    ++keys;
  }
  FieldReader cookie = f.field("httpCookie");
  if (cookie.is_map()) {
    out.key = Key::kHttpCookie;
    ++keys;
    FieldReader name = cookie.field("name");
    out.http_cookie.name = name.string().value_or("");
    if (out.http_cookie.name.empty()) name.error("name required for HttpCookie");
    out.http_cookie.path = cookie.field("path").string().value_or("");
    FieldReader ttl = cookie.field("ttl");
    out.http_cookie.ttl = read_duration(ttl, DurationMin::kZero);
    if (!ttl.present()) ttl.error("ttl required for HttpCookie");
    cookie.field("attributes").each([&](const FieldReader& a) {
      if (!a.is_map()) return;
      out.http_cookie.attributes.emplace_back(a.field("name").string().value_or(""),
                                              a.field("value").string().value_or(""));
    });
  }
  if (keys > 1) {
    f.error(
        "only one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName may "
        "be set");
  }
  FieldReader ring = f.field("ringHash");
  FieldReader maglev = f.field("maglev");
  if (ring.present() && maglev.present()) f.error("only one of ringHash or maglev may be set");
  if (ring.is_map()) {
    out.algorithm = ConsistentHashLb::Algorithm::kRingHash;
    out.ring_hash_minimum_ring_size =
        read_int(ring.field("minimumRingSize"), 0, INT64_MAX).value_or(0);
  }
  if (maglev.is_map()) {
    out.algorithm = ConsistentHashLb::Algorithm::kMaglev;
    FieldReader size = maglev.field("tableSize");
    out.maglev_table_size = read_int(size, 0, INT64_MAX).value_or(0);
    if (out.maglev_table_size == 0)
      size.error("tableSize must be set for maglev");
    else if (out.maglev_table_size >= 5000011)
      size.error("tableSize must be less than 5000011 for maglev");
    else if (!is_prime(out.maglev_table_size))
      size.error("tableSize must be a prime number for maglev");
  }
  FieldReader min_ring = f.field("minimumRingSize");
  out.minimum_ring_size = read_int(min_ring, 0, INT64_MAX).value_or(0);
  if (out.minimum_ring_size != 0 && out.algorithm != ConsistentHashLb::Algorithm::kUnset) {
    min_ring.error("only one of MinimumRingSize or Maglev/Ringhash can be specified");
  }
  return out;
}

std::vector<LocalityLbSetting::Failover> decode_failover(const FieldReader& list) {
  std::vector<LocalityLbSetting::Failover> out;
  list.each([&](const FieldReader& item) {
    if (!item.is_map()) return;
    LocalityLbSetting::Failover f{item.field("from").string().value_or(""),
                                  item.field("to").string().value_or("")};
    if (f.from == f.to) item.error("locality lb failover settings must specify different regions");
    if (f.from.find('/') != std::string::npos || f.to.find('/') != std::string::npos) {
      item.error("locality lb failover only specify region");
    }
    if (f.from.find('*') != std::string::npos || f.to.find('*') != std::string::npos) {
      item.error("locality lb failover region should not contain '*' wildcard");
    }
    out.push_back(f);
  });
  return out;
}

// validateLocalities: "region/zone/subzone", '*' only once and last, no empty part.
void check_locality(const FieldReader& at, const std::string& locality) {
  size_t stars = std::count(locality.begin(), locality.end(), '*');
  if (stars > 1 || (stars == 1 && !locality.ends_with("*"))) {
    at.error("locality " + locality +
             " wildcard '*' number can not exceed 1 and must be in the end");
    return;
  }
  size_t start = 0;
  while (true) {
    size_t slash = locality.find('/', start);
    if (locality.substr(start, slash - start).empty()) {
      at.error("locality " + locality + " must not contain empty region/zone/subzone info");
      return;
    }
    if (slash == std::string::npos) return;
    start = slash + 1;
  }
}

LocalityLbSetting decode_locality_lb(const FieldReader& f) {
  LocalityLbSetting out;
  FieldReader distribute = f.field("distribute");
  distribute.each([&](const FieldReader& item) {
    if (!item.is_map()) return;
    LocalityLbSetting::Distribute d;
    FieldReader from = item.field("from");
    d.from = from.string().value_or("");
    check_locality(from, d.from);
    FieldReader to = item.field("to");
    int64_t total = 0;
    if (to.is_map()) {
      for (const auto& entry : to.node()) {
        std::string loc = entry.first.IsScalar() ? entry.first.Scalar() : "";
        FieldReader w(entry.second, to.path() + "[" + loc + "]", to.errors());
        auto weight = w.integer();
        if (!weight) continue;
        if (*weight < 1 || *weight > 100) {
          w.error("locality weight must be in range [1, 100]");
          continue;
        }
        check_locality(w, loc);
        d.to[loc] = static_cast<uint32_t>(*weight);
        total += *weight;
      }
    }
    if (total != 100) to.error("total locality weight " + std::to_string(total) + " != 100");
    out.distribute.push_back(std::move(d));
  });
  FieldReader failover = f.field("failover");
  out.failover = decode_failover(failover);
  out.failover_priority = read_string_list(f.field("failoverPriority"));
  out.enabled = f.field("enabled").boolean();
  if (!out.distribute.empty() && !out.failover.empty()) {
    f.error("can not simultaneously specify 'distribute' and 'failover'");
  }
  if (!out.failover.empty()) {
    for (const auto& label : out.failover_priority) {
      if (label == "topology.kubernetes.io/region" || label == "topology.kubernetes.io/zone" ||
          label == "topology.istio.io/subzone") {
        f.error("can not simultaneously set 'failover' and topology label '" + label +
                "' in 'failover_priority'");
        break;
      }
    }
  }
  return out;
}

LoadBalancerSettings decode_load_balancer(const FieldReader& f) {
  LoadBalancerSettings out;
  using S = LoadBalancerSettings::Simple;
  static constexpr std::pair<const char*, S> kSimple[] = {
      {"UNSPECIFIED", S::kUnspecified}, {"LEAST_CONN", S::kLeastConn},
      {"RANDOM", S::kRandom},           {"PASSTHROUGH", S::kPassthrough},
      {"ROUND_ROBIN", S::kRoundRobin},  {"LEAST_REQUEST", S::kLeastRequest}};
  FieldReader simple = f.field("simple");
  out.simple = read_enum(simple, kSimple);
  int policies = simple.present();
  if (FieldReader ch = f.field("consistentHash"); ch.is_map()) {
    out.consistent_hash = decode_consistent_hash(ch);
    ++policies;
  }
  if (FieldReader bu = f.field("backendUtilization"); bu.is_map()) {
    BackendUtilizationLb b;
    b.weight_update_period = read_duration(bu.field("weightUpdatePeriod"), DurationMin::kOneMs);
    b.weight_expiration_period =
        read_duration(bu.field("weightExpirationPeriod"), DurationMin::kOneMs);
    b.weight_stabilization_period =
        read_duration(bu.field("weightStabilizationPeriod"), DurationMin::kZero);
    b.error_utilization_penalty_percent = read_uint32(bu.field("errorUtilizationPenaltyPercent"));
    b.metric_names_for_computing_utilization =
        read_string_list(bu.field("metricNamesForComputingUtilization"));
    out.backend_utilization = b;
    ++policies;
  }
  if (policies > 1) f.error("only one of simple, consistentHash or backendUtilization may be set");
  FieldReader locality = f.field("localityLbSetting");
  FieldReader zone_aware = f.field("zoneAwareLbSetting");
  if (locality.is_map()) out.locality_lb_setting = decode_locality_lb(locality);
  if (zone_aware.is_map()) {
    ZoneAwareLbSetting z;
    z.enabled = zone_aware.field("enabled").boolean();
    z.failover = decode_failover(zone_aware.field("failover"));
    z.failover_priority = read_string_list(zone_aware.field("failoverPriority"));
    if (auto n = read_int(zone_aware.field("minClusterSize"), 1, UINT32_MAX)) {
      z.min_cluster_size = static_cast<uint32_t>(*n);
    }
    out.zone_aware_lb_setting = z;
  }
  if (locality.present() && zone_aware.present()) {
    f.error("only one of localityLbSetting or zoneAwareLbSetting may be set");
  }
  out.warmup_duration_secs = read_duration(f.field("warmupDurationSecs"), DurationMin::kOneMs);
  if (FieldReader w = f.field("warmup"); w.is_map()) {
    WarmupConfiguration warmup;
    FieldReader duration = w.field("duration");
    if (!duration.present()) duration.error("required");
    warmup.duration = read_duration(duration, DurationMin::kOneMs).value_or(Duration{0});
    FieldReader min_percent = w.field("minimumPercent");
    warmup.minimum_percent = read_double(min_percent);
    if (warmup.minimum_percent && (*warmup.minimum_percent < 0 || *warmup.minimum_percent > 100)) {
      min_percent.error("must be within [0, 100]");
    }
    FieldReader aggression = w.field("aggression");
    warmup.aggression = read_double(aggression);
    if (warmup.aggression && *warmup.aggression < 1) aggression.error("must be >= 1");
    out.warmup = warmup;
  }
  return out;
}

std::optional<int32_t> read_count(const FieldReader& f) {
  return read_int32_non_negative(f);
}

ConnectionPoolSettings decode_connection_pool(const FieldReader& f) {
  ConnectionPoolSettings out;
  FieldReader tcp = f.field("tcp");
  FieldReader http = f.field("http");
  if (!tcp.present() && !http.present()) f.error("connection pool must have at least one field");
  if (tcp.is_map()) {
    TcpSettings t;
    t.max_connections = read_count(tcp.field("maxConnections"));
    t.connect_timeout = read_duration(tcp.field("connectTimeout"), DurationMin::kOneMs);
    if (FieldReader k = tcp.field("tcpKeepalive"); k.is_map()) {
      t.tcp_keepalive = TcpSettings::Keepalive{
          read_uint32(k.field("probes")), read_duration(k.field("time"), DurationMin::kOneMs),
          read_duration(k.field("interval"), DurationMin::kOneMs)};
    }
    t.max_connection_duration =
        read_duration(tcp.field("maxConnectionDuration"), DurationMin::kOneMs);
    t.idle_timeout = read_duration(tcp.field("idleTimeout"), DurationMin::kZero);
    out.tcp = t;
  }
  if (http.is_map()) {
    HttpSettings h;
    h.http1_max_pending_requests = read_count(http.field("http1MaxPendingRequests"));
    h.http2_max_requests = read_count(http.field("http2MaxRequests"));
    h.max_requests_per_connection = read_count(http.field("maxRequestsPerConnection"));
    h.max_retries = read_count(http.field("maxRetries"));
    h.idle_timeout = read_duration(http.field("idleTimeout"), DurationMin::kOneMs);
    using U = HttpSettings::H2Upgrade;
    static constexpr std::pair<const char*, U> kUpgrade[] = {
        {"DEFAULT", U::kDefault}, {"DO_NOT_UPGRADE", U::kDoNotUpgrade}, {"UPGRADE", U::kUpgrade}};
    h.h2_upgrade_policy = read_enum(http.field("h2UpgradePolicy"), kUpgrade);
    h.use_client_protocol = http.field("useClientProtocol").boolean();
    if (h.h2_upgrade_policy == U::kUpgrade && h.use_client_protocol.value_or(false)) {
      http.error("use client protocol must not be true when H2UpgradePolicy is UPGRADE");
    }
    h.max_concurrent_streams = read_count(http.field("maxConcurrentStreams"));
    if (FieldReader k = http.field("http2KeepAlive"); k.is_map()) {
      h.http2_keep_alive =
          HttpSettings::KeepAlive{read_duration(k.field("interval"), DurationMin::kOneMs),
                                  read_duration(k.field("timeout"), DurationMin::kOneMs)};
    }
    out.http = h;
  }
  return out;
}

OutlierDetection decode_outlier_detection(const FieldReader& f) {
  OutlierDetection out;
  out.consecutive_errors = read_count(f.field("consecutiveErrors"));
  out.split_external_local_origin_errors = f.field("splitExternalLocalOriginErrors").boolean();
  FieldReader local = f.field("consecutiveLocalOriginFailures");
  out.consecutive_local_origin_failures = read_uint32(local);
  if (out.consecutive_local_origin_failures.value_or(0) > 0 &&
      !out.split_external_local_origin_errors.value_or(false)) {
    local.error(
        "outlier detection consecutive local origin failures is specified, but split "
        "external local origin errors is set to false");
  }
  out.consecutive_gateway_errors = read_uint32(f.field("consecutiveGatewayErrors"));
  out.consecutive_5xx_errors = read_uint32(f.field("consecutive5xxErrors"));
  out.interval = read_duration(f.field("interval"), DurationMin::kOneMs);
  out.base_ejection_time = read_duration(f.field("baseEjectionTime"), DurationMin::kOneMs);
  if (auto p = read_int(f.field("maxEjectionPercent"), 0, 100))
    out.max_ejection_percent = static_cast<int32_t>(*p);
  if (auto p = read_int(f.field("minHealthPercent"), 0, 100))
    out.min_health_percent = static_cast<int32_t>(*p);
  f.field("outlierDetectionHttpErrorCodes").each([&](const FieldReader& item) {
    if (auto code = read_int(item, 100, 599))
      out.outlier_detection_http_error_codes.push_back(static_cast<uint32_t>(*code));
  });
  return out;
}

ClientTlsSettings decode_client_tls(const FieldReader& f) {
  ClientTlsSettings out;
  using M = ClientTlsSettings::Mode;
  static constexpr std::pair<const char*, M> kModes[] = {{"DISABLE", M::kDisable},
                                                         {"SIMPLE", M::kSimple},
                                                         {"MUTUAL", M::kMutual},
                                                         {"ISTIO_MUTUAL", M::kIstioMutual}};
  out.mode = read_enum(f.field("mode"), kModes).value_or(M::kDisable);
  out.client_certificate = f.field("clientCertificate").string().value_or("");
  out.private_key = f.field("privateKey").string().value_or("");
  out.ca_certificates = f.field("caCertificates").string().value_or("");
  out.credential_name = f.field("credentialName").string().value_or("");
  out.subject_alt_names = read_string_list(f.field("subjectAltNames"));
  out.sni = f.field("sni").string().value_or("");
  out.insecure_skip_verify = f.field("insecureSkipVerify").boolean();
  out.ca_crl = f.field("caCrl").string().value_or("");
  // ValidateTLS.
  bool sans = f.field("subjectAltNames").present();
  if (out.insecure_skip_verify.value_or(false)) {
    if (out.mode == M::kSimple &&
        (!out.ca_certificates.empty() || !out.credential_name.empty() || sans)) {
      f.error(
          "cannot specify CaCertificates or CredentialName or SubjectAltNames when "
          "InsecureSkipVerify is set true");
    }
    if (out.mode == M::kMutual && (!out.ca_certificates.empty() || sans)) {
      f.error(
          "cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true");
    }
  }
  if ((out.mode == M::kSimple || out.mode == M::kMutual) && !out.credential_name.empty()) {
    if (!out.client_certificate.empty() || !out.ca_certificates.empty() ||
        !out.private_key.empty() || !out.ca_crl.empty()) {
      f.error(
          "cannot specify client certificates or CA certificate or CA CRL If credentialName "
          "is set");
    }
  } else if (out.mode == M::kMutual) {
    if (out.client_certificate.empty())
      f.field("clientCertificate").error("client certificate required for mutual tls");
    if (out.private_key.empty()) f.field("privateKey").error("private key required for mutual tls");
  }
  return out;
}

TunnelSettings decode_tunnel(const FieldReader& f) {
  TunnelSettings out;
  FieldReader protocol = f.field("protocol");
  out.protocol = protocol.string().value_or("");
  if (!out.protocol.empty() && out.protocol != "CONNECT" && out.protocol != "POST") {
    protocol.error("tunnel protocol must be \"CONNECT\" or \"POST\"");
  }
  FieldReader host = f.field("targetHost");
  out.target_host = host.string().value_or("");
  if (auto e = fqdn_error(out.target_host); !e.empty() && !parse_ip(out.target_host)) {
    host.error("tunnel target host must be valid FQDN or IP address: " + e);
  }
  FieldReader port = f.field("targetPort");
  out.target_port = read_uint32(port).value_or(0);
  if (out.target_port < 1 || out.target_port > 65535) {
    port.error("tunnel target port is invalid: port number " + std::to_string(out.target_port) +
               " must be in the range 1..65535");
  }
  return out;
}

}  // namespace

TrafficPolicy decode_traffic_policy(const FieldReader& f) {
  TrafficPolicy out;
  if (!f.is_map()) return out;
  if (FieldReader x = f.field("loadBalancer"); x.is_map())
    out.load_balancer = decode_load_balancer(x);
  if (FieldReader x = f.field("connectionPool"); x.is_map())
    out.connection_pool = decode_connection_pool(x);
  if (FieldReader x = f.field("outlierDetection"); x.is_map())
    out.outlier_detection = decode_outlier_detection(x);
  if (FieldReader x = f.field("tls"); x.is_map()) out.tls = decode_client_tls(x);
  f.field("portLevelSettings").each([&](const FieldReader& p) {
    if (!p.is_map()) return;
    PortTrafficPolicy ptp;
    FieldReader port = p.field("port");
    if (!port.present()) port.error("portTrafficPolicy must have valid port");
    ptp.port = read_port_number(port.field("number"));
    if (FieldReader x = p.field("loadBalancer"); x.is_map())
      ptp.load_balancer = decode_load_balancer(x);
    if (FieldReader x = p.field("connectionPool"); x.is_map())
      ptp.connection_pool = decode_connection_pool(x);
    if (FieldReader x = p.field("outlierDetection"); x.is_map())
      ptp.outlier_detection = decode_outlier_detection(x);
    if (FieldReader x = p.field("tls"); x.is_map()) ptp.tls = decode_client_tls(x);
    if (!ptp.load_balancer && !ptp.connection_pool && !ptp.outlier_detection && !ptp.tls) {
      p.error("port traffic policy must have at least one field");
    }
    out.port_level_settings.push_back(std::move(ptp));
  });
  FieldReader tunnel = f.field("tunnel");
  if (tunnel.is_map()) out.tunnel = decode_tunnel(tunnel);
  FieldReader proxy = f.field("proxyProtocol");
  if (proxy.is_map()) {
    using V = TrafficPolicy::ProxyProtocolVersion;
    static constexpr std::pair<const char*, V> kVersions[] = {{"V1", V::kV1}, {"V2", V::kV2}};
    FieldReader version = proxy.field("version");
    out.proxy_protocol = version.present() ? read_enum(version, kVersions) : V::kV1;
  }
  FieldReader b = f.field("retryBudget");
  if (b.is_map()) {
    RetryBudget budget;
    FieldReader percent = b.field("percent");
    budget.percent = read_double(percent);
    if (budget.percent && (*budget.percent < 0 || *budget.percent > 100)) {
      percent.error("must be within [0, 100]");
    }
    budget.min_retry_concurrency = read_uint32(b.field("minRetryConcurrency"));
    budget.budget_interval = read_duration(b.field("budgetInterval"), DurationMin::kOneMs);
    out.retry_budget = budget;
  }
  if (!out.load_balancer && !out.connection_pool && !out.outlier_detection && !out.tls &&
      out.port_level_settings.empty() && !tunnel.present() && !proxy.present() && !b.present()) {
    f.error("traffic policy must have at least one field");
  }
  if (tunnel.present() && proxy.present()) {
    f.error("tunnel and proxyProtocol must not be specified simultaneously");
  }
  return out;
}

}  // namespace zmesh::config
