// networking.istio.io DestinationRule: every field decoded into the typed model, Istio's
// validation with exact field-path errors, and the config_dump form.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "config/kind_registry.h"
#include "config/yaml_parser.h"
#include "istio_crds.h"

namespace zmesh::config {
namespace {

using namespace std::chrono_literals;
using namespace state;

std::vector<DecodedObject> parse(const std::string& yaml) {
  auto parsed = parse_yaml(yaml, "dr.yaml", "/cfg/dr.yaml");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? std::move(parsed).value() : std::vector<DecodedObject>{};
}

// A DestinationRule shop/reviews with `spec` (indented two spaces).
std::string dr(const std::string& spec, const std::string& version = "v1") {
  return "apiVersion: networking.istio.io/" + version +
         "\nkind: DestinationRule\nmetadata:\n  name: reviews\n  namespace: shop\nspec:\n" + spec;
}

DestinationRule only(const std::vector<DecodedObject>& objects) {
  if (objects.size() != 1 || !objects[0].object) {
    ADD_FAILURE() << (objects.empty() ? "no object" : objects[0].error);
    return {};
  }
  return std::get<DestinationRule>(*objects[0].object);
}

const std::string kFull = R"yaml(  host: reviews.shop.svc.cluster.local
  exportTo: ["*"]
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpCookie: {name: user, path: /, ttl: 60s, attributes: [{name: SameSite, value: Lax}]}
        ringHash: {minimumRingSize: 2048}
      localityLbSetting:
        distribute:
        - from: us-west/zone1/*
          to: {"us-west/zone1/*": 80, "us-west/zone2/*": 20}
        failoverPriority: [topology.istio.io/network]
        enabled: true
      warmupDurationSecs: 30s
    connectionPool:
      tcp:
        maxConnections: 100
        connectTimeout: 30ms
        tcpKeepalive: {probes: 3, time: 7200s, interval: 75s}
        maxConnectionDuration: 1h
        idleTimeout: 0s
      http:
        http1MaxPendingRequests: 10
        http2MaxRequests: 1000
        maxRequestsPerConnection: 1
        maxRetries: 3
        idleTimeout: 60s
        h2UpgradePolicy: DO_NOT_UPGRADE
        useClientProtocol: true
        maxConcurrentStreams: 100
        http2KeepAlive: {interval: 10s, timeout: 5s}
    outlierDetection:
      consecutiveErrors: 2
      consecutive5xxErrors: 7
      consecutiveGatewayErrors: 3
      splitExternalLocalOriginErrors: true
      consecutiveLocalOriginFailures: 5
      interval: 5m
      baseEjectionTime: 15m
      maxEjectionPercent: 50
      minHealthPercent: 0
      outlierDetectionHttpErrorCodes: [500, 503]
    tls:
      mode: MUTUAL
      clientCertificate: /etc/certs/cert.pem
      privateKey: /etc/certs/key.pem
      caCertificates: /etc/certs/ca.pem
      subjectAltNames: [reviews.example.com]
      sni: reviews.example.com
      insecureSkipVerify: false
      caCrl: /etc/certs/crl.pem
    portLevelSettings:
    - port: {number: 9080}
      loadBalancer: {simple: LEAST_CONN}
      connectionPool: {tcp: {maxConnections: 10}}
      outlierDetection: {consecutive5xxErrors: 0}
      tls: {mode: ISTIO_MUTUAL}
    proxyProtocol: {}
    retryBudget: {percent: 25.5, minRetryConcurrency: 3, budgetInterval: 10s}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: V2-canary
    labels: {version: v2}
    trafficPolicy:
      loadBalancer:
        simple: ROUND_ROBIN
        warmup: {duration: 30s, minimumPercent: 5, aggression: 2}
)yaml";

TEST(DestinationRuleDecode, LoadBalancer) {
  auto d = only(parse(dr(kFull)));
  EXPECT_EQ(d.host, "reviews.shop.svc.cluster.local");
  EXPECT_EQ(d.export_to, std::vector<std::string>{"*"});
  ASSERT_TRUE(d.traffic_policy && d.traffic_policy->load_balancer);
  const auto& lb = *d.traffic_policy->load_balancer;
  EXPECT_FALSE(lb.simple.has_value());
  ASSERT_TRUE(lb.consistent_hash);
  const auto& ch = *lb.consistent_hash;
  EXPECT_EQ(ch.key, ConsistentHashLb::Key::kHttpCookie);
  EXPECT_EQ(ch.http_cookie.name, "user");
  EXPECT_EQ(ch.http_cookie.path, "/");
  EXPECT_EQ(ch.http_cookie.ttl, 60s);
  ASSERT_EQ(ch.http_cookie.attributes.size(), 1u);
  EXPECT_EQ(ch.http_cookie.attributes[0], (std::pair<std::string, std::string>{"SameSite", "Lax"}));
  EXPECT_EQ(ch.algorithm, ConsistentHashLb::Algorithm::kRingHash);
  EXPECT_EQ(ch.ring_hash_minimum_ring_size, 2048u);
  ASSERT_TRUE(lb.locality_lb_setting);
  const auto& loc = *lb.locality_lb_setting;
  ASSERT_EQ(loc.distribute.size(), 1u);
  EXPECT_EQ(loc.distribute[0].from, "us-west/zone1/*");
  EXPECT_EQ(loc.distribute[0].to,
            (std::map<std::string, uint32_t>{{"us-west/zone1/*", 80}, {"us-west/zone2/*", 20}}));
  EXPECT_EQ(loc.failover_priority, std::vector<std::string>{"topology.istio.io/network"});
  EXPECT_EQ(loc.enabled, true);
  EXPECT_EQ(lb.warmup_duration_secs, 30s);
}

TEST(DestinationRuleDecode, ConnectionPoolAndOutlierDetection) {
  auto d = only(parse(dr(kFull)));
  const auto& cp = *d.traffic_policy->connection_pool;
  ASSERT_TRUE(cp.tcp && cp.http);
  EXPECT_EQ(cp.tcp->max_connections, 100);
  EXPECT_EQ(cp.tcp->connect_timeout, 30ms);
  ASSERT_TRUE(cp.tcp->tcp_keepalive);
  EXPECT_EQ(cp.tcp->tcp_keepalive->probes, 3u);
  EXPECT_EQ(cp.tcp->tcp_keepalive->time, 7200s);
  EXPECT_EQ(cp.tcp->tcp_keepalive->interval, 75s);
  EXPECT_EQ(cp.tcp->max_connection_duration, 1h);
  EXPECT_EQ(cp.tcp->idle_timeout, 0s);  // 0s: idle timeout disabled
  EXPECT_EQ(cp.http->http1_max_pending_requests, 10);
  EXPECT_EQ(cp.http->http2_max_requests, 1000);
  EXPECT_EQ(cp.http->max_requests_per_connection, 1);
  EXPECT_EQ(cp.http->max_retries, 3);
  EXPECT_EQ(cp.http->idle_timeout, 60s);
  EXPECT_EQ(cp.http->h2_upgrade_policy, HttpSettings::H2Upgrade::kDoNotUpgrade);
  EXPECT_EQ(cp.http->use_client_protocol, true);
  EXPECT_EQ(cp.http->max_concurrent_streams, 100);
  EXPECT_EQ(cp.http->http2_keep_alive->interval, 10s);
  EXPECT_EQ(cp.http->http2_keep_alive->timeout, 5s);
  const auto& od = *d.traffic_policy->outlier_detection;
  EXPECT_EQ(od.consecutive_errors, 2);
  EXPECT_EQ(od.consecutive_5xx_errors, 7u);
  EXPECT_EQ(od.consecutive_gateway_errors, 3u);
  EXPECT_EQ(od.split_external_local_origin_errors, true);
  EXPECT_EQ(od.consecutive_local_origin_failures, 5u);
  EXPECT_EQ(od.interval, 5min);
  EXPECT_EQ(od.base_ejection_time, 15min);
  EXPECT_EQ(od.max_ejection_percent, 50);
  EXPECT_EQ(od.min_health_percent, 0);
  EXPECT_EQ(od.outlier_detection_http_error_codes, (std::vector<uint32_t>{500, 503}));
}

TEST(DestinationRuleDecode, TlsPortLevelAndOthers) {
  auto d = only(parse(dr(kFull)));
  const auto& tp = *d.traffic_policy;
  ASSERT_TRUE(tp.tls);
  EXPECT_EQ(tp.tls->mode, ClientTlsSettings::Mode::kMutual);
  EXPECT_EQ(tp.tls->client_certificate, "/etc/certs/cert.pem");
  EXPECT_EQ(tp.tls->private_key, "/etc/certs/key.pem");
  EXPECT_EQ(tp.tls->ca_certificates, "/etc/certs/ca.pem");
  EXPECT_EQ(tp.tls->subject_alt_names, std::vector<std::string>{"reviews.example.com"});
  EXPECT_EQ(tp.tls->sni, "reviews.example.com");
  EXPECT_EQ(tp.tls->insecure_skip_verify, false);
  EXPECT_EQ(tp.tls->ca_crl, "/etc/certs/crl.pem");
  ASSERT_EQ(tp.port_level_settings.size(), 1u);
  const auto& pl = tp.port_level_settings[0];
  EXPECT_EQ(pl.port, 9080u);
  EXPECT_EQ(pl.load_balancer->simple, LoadBalancerSettings::Simple::kLeastConn);
  EXPECT_EQ(pl.connection_pool->tcp->max_connections, 10);
  EXPECT_EQ(pl.outlier_detection->consecutive_5xx_errors, 0u);  // 0: ejection disabled
  EXPECT_EQ(pl.tls->mode, ClientTlsSettings::Mode::kIstioMutual);
  EXPECT_EQ(tp.proxy_protocol, TrafficPolicy::ProxyProtocolVersion::kV1);  // {}: V1
  ASSERT_TRUE(tp.retry_budget);
  EXPECT_EQ(tp.retry_budget->percent, 25.5);
  EXPECT_EQ(tp.retry_budget->min_retry_concurrency, 3u);
  EXPECT_EQ(tp.retry_budget->budget_interval, 10s);
  EXPECT_FALSE(tp.tunnel.has_value());
}

TEST(DestinationRuleDecode, Subsets) {
  auto d = only(parse(dr(kFull)));
  ASSERT_EQ(d.subsets.size(), 2u);
  EXPECT_EQ(d.subsets[0].name, "v1");
  EXPECT_EQ(d.subsets[0].labels, (Labels{{"version", "v1"}}));
  EXPECT_FALSE(d.subsets[0].traffic_policy.has_value());
  EXPECT_EQ(d.subsets[1].name, "V2-canary");  // Istio's subset names allow upper case
  const auto& lb = *d.subsets[1].traffic_policy->load_balancer;
  EXPECT_EQ(lb.simple, LoadBalancerSettings::Simple::kRoundRobin);
  EXPECT_EQ(lb.warmup->duration, 30s);
  EXPECT_EQ(lb.warmup->minimum_percent, 5.0);
  EXPECT_EQ(lb.warmup->aggression, 2.0);
}

TEST(DestinationRuleDecode, HashKeysAlgorithmsTunnelSelector) {
  auto d = only(parse(dr(R"yaml(  host: "*.example.com"
  workloadSelector: {matchLabels: {app: productpage}}
  exportTo: [shop]
  trafficPolicy:
    tunnel: {protocol: POST, targetHost: 10.1.2.3, targetPort: 8443}
    loadBalancer:
      consistentHash: {httpQueryParameterName: user, maglev: {tableSize: 4999999}}
      zoneAwareLbSetting: {enabled: true, failover: [{from: a, to: b}], minClusterSize: 3}
    tls: {mode: SIMPLE, insecureSkipVerify: true, sni: x}
  subsets:
  - name: hdr
    trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-id, minimumRingSize: 512}}}
  - name: ip
    trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true}}}
)yaml",
                         "v1beta1")));
  EXPECT_EQ(d.workload_selector, (Labels{{"app", "productpage"}}));
  const auto& tp = *d.traffic_policy;
  EXPECT_EQ(tp.tunnel->protocol, "POST");
  EXPECT_EQ(tp.tunnel->target_host, "10.1.2.3");
  EXPECT_EQ(tp.tunnel->target_port, 8443u);
  const auto& ch = *tp.load_balancer->consistent_hash;
  EXPECT_EQ(ch.key, ConsistentHashLb::Key::kHttpQueryParameterName);
  EXPECT_EQ(ch.http_query_parameter_name, "user");
  EXPECT_EQ(ch.algorithm, ConsistentHashLb::Algorithm::kMaglev);
  EXPECT_EQ(ch.maglev_table_size, 4999999u);
  const auto& za = *tp.load_balancer->zone_aware_lb_setting;
  EXPECT_EQ(za.enabled, true);
  EXPECT_EQ(za.failover.at(0).to, "b");
  EXPECT_EQ(za.min_cluster_size, 3u);
  EXPECT_EQ(tp.tls->insecure_skip_verify, true);
  const auto& hdr = *d.subsets.at(0).traffic_policy->load_balancer->consistent_hash;
  EXPECT_EQ(hdr.key, ConsistentHashLb::Key::kHttpHeaderName);
  EXPECT_EQ(hdr.http_header_name, "x-id");
  EXPECT_EQ(hdr.minimum_ring_size, 512u);
  EXPECT_EQ(hdr.algorithm, ConsistentHashLb::Algorithm::kUnset);
  const auto& ip = *d.subsets.at(1).traffic_policy->load_balancer->consistent_hash;
  EXPECT_EQ(ip.key, ConsistentHashLb::Key::kUseSourceIp);
  EXPECT_TRUE(ip.use_source_ip);
}

TEST(DestinationRuleDecode, HostOnly) {
  auto d = only(parse(dr("  host: ratings\n", "v1alpha3")));
  EXPECT_EQ(d.host, "ratings");
  EXPECT_FALSE(d.traffic_policy || d.workload_selector);
  EXPECT_TRUE(d.subsets.empty() && d.export_to.empty());
}

struct BadCase {
  const char* name;
  std::string spec;
  std::string error;  // after "dr.yaml: DestinationRule shop/reviews: "
};

const std::string kHost = "  host: reviews\n";
const std::string kTp = kHost + "  trafficPolicy:\n";

std::vector<BadCase> bad_cases() {
  return {
      {"NoSpec", "  {}\n", "spec.host: required"},
      {"HostNumber", "  host: 5\n", "spec.host: must be a string, got a number 5 (quote it)"},
      {"SubsetNameUnderscore", kHost + "  subsets: [{name: v_1}]\n",
       "spec.subsets[0].name: subset name is invalid: \"v_1\""},
      {"SubsetDuplicate", kHost + "  subsets: [{name: a}, {name: b}, {name: a}]\n",
       "spec.subsets[2].name: duplicate subset names: a"},
      {"SubsetLabelKey", kHost + "  subsets: [{name: a, labels: {\"bad key\": x}}]\n",
       "spec.subsets[0].labels[bad key]: \"bad key\" must be a qualified name (alphanumerics, "
       "'-', '_' or '.', starting and ending with an alphanumeric character, with an optional "
       "DNS subdomain prefix and '/')"},
      {"SubsetEmptyTrafficPolicy", kHost + "  subsets: [{name: a, trafficPolicy: {}}]\n",
       "spec.subsets[0].trafficPolicy: traffic policy must have at least one field"},
      {"CookieWithoutName", kTp + "    loadBalancer: {consistentHash: {httpCookie: {ttl: 1s}}}\n",
       "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name: name required for "
       "HttpCookie"},
      {"RingHashAndMaglev",
       kTp + "    loadBalancer: {consistentHash: {useSourceIp: true, ringHash: {}, maglev: "
             "{tableSize: 7}}}\n",
       "spec.trafficPolicy.loadBalancer.consistentHash: only one of ringHash or maglev may be "
       "set"},
      {"MaglevTableZero",
       kTp + "    loadBalancer: {consistentHash: {useSourceIp: true, maglev: {}}}\n",
       "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: tableSize must be set "
       "for maglev"},
      {"MaglevTableTooLarge",
       kTp + "    loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: "
             "5000011}}}\n",
       "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: tableSize must be less "
       "than 5000011 for maglev"},
      {"LocalityWeightZero",
       kTp + "    loadBalancer: {localityLbSetting: {distribute: [{from: a, to: {a: 0, b: "
             "100}}]}}\n",
       "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to[a]: locality weight "
       "must be in range [1, 100]"},
      {"LocalityWildcardInMiddle",
       kTp + "    loadBalancer: {localityLbSetting: {distribute: [{from: \"a/*/c\", to: {a: "
             "100}}]}}\n",
       "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].from: locality a/*/c "
       "wildcard '*' number can not exceed 1 and must be in the end"},
      {"FailoverWithTopologyPriority",
       kTp + "    loadBalancer:\n      localityLbSetting:\n        failover: [{from: a, to: b}]\n"
             "        failoverPriority: [topology.kubernetes.io/region]\n",
       "spec.trafficPolicy.loadBalancer.localityLbSetting: can not simultaneously set 'failover' "
       "and topology label 'topology.kubernetes.io/region' in 'failover_priority'"},
      {"FailoverWithZone",
       kTp + "    loadBalancer: {localityLbSetting: {failover: [{from: a/z, to: b}]}}\n",
       "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]: locality lb failover only "
       "specify region"},
      {"LocalityAndZoneAware",
       kTp + "    loadBalancer: {localityLbSetting: {enabled: true}, zoneAwareLbSetting: "
             "{enabled: true}}\n",
       "spec.trafficPolicy.loadBalancer: only one of localityLbSetting or zoneAwareLbSetting may "
       "be set"},
      {"WarmupWithoutDuration", kTp + "    loadBalancer: {warmup: {aggression: 2}}\n",
       "spec.trafficPolicy.loadBalancer.warmup.duration: required"},
      {"WarmupMinimumPercent",
       kTp + "    loadBalancer: {warmup: {duration: 1s, minimumPercent: 101}}\n",
       "spec.trafficPolicy.loadBalancer.warmup.minimumPercent: must be within [0, 100]"},
      {"H2UpgradeUnknown", kTp + "    connectionPool: {http: {h2UpgradePolicy: ALWAYS}}\n",
       "spec.trafficPolicy.connectionPool.http.h2UpgradePolicy: \"ALWAYS\" is not one of "
       "DEFAULT, DO_NOT_UPGRADE, UPGRADE"},
      {"Http2MaxRequestsNegative", kTp + "    connectionPool: {http: {http2MaxRequests: -1}}\n",
       "spec.trafficPolicy.connectionPool.http.http2MaxRequests: must be >= 0, got -1"},
      {"HttpIdleTimeoutZero", kTp + "    connectionPool: {http: {idleTimeout: 0s}}\n",
       "spec.trafficPolicy.connectionPool.http.idleTimeout: must be >= 1ms, got \"0s\""},
      {"TcpIdleTimeoutNegative", kTp + "    connectionPool: {tcp: {idleTimeout: -1s}}\n",
       "spec.trafficPolicy.connectionPool.tcp.idleTimeout: must be >= 0, got \"-1s\""},
      {"KeepaliveProbesNegative", kTp + "    connectionPool: {tcp: {tcpKeepalive: {probes: -1}}}\n",
       "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.probes: must be >= 0, got -1"},
      {"BaseEjectionTimeZero", kTp + "    outlierDetection: {baseEjectionTime: 0ms}\n",
       "spec.trafficPolicy.outlierDetection.baseEjectionTime: must be >= 1ms, got \"0ms\""},
      {"MinHealthPercentNegative", kTp + "    outlierDetection: {minHealthPercent: -1}\n",
       "spec.trafficPolicy.outlierDetection.minHealthPercent: must be >= 0, got -1"},
      {"Consecutive5xxNegative", kTp + "    outlierDetection: {consecutive5xxErrors: -1}\n",
       "spec.trafficPolicy.outlierDetection.consecutive5xxErrors: must be >= 0, got -1"},
      {"HttpErrorCode", kTp + "    outlierDetection: {outlierDetectionHttpErrorCodes: [600]}\n",
       "spec.trafficPolicy.outlierDetection.outlierDetectionHttpErrorCodes[0]: must be <= 599, "
       "got 600"},
      {"MutualWithoutKey", kTp + "    tls: {mode: MUTUAL, clientCertificate: /c.pem}\n",
       "spec.trafficPolicy.tls.privateKey: private key required for mutual tls"},
      {"SimpleInsecureWithCa",
       kTp + "    tls: {mode: SIMPLE, insecureSkipVerify: true, caCertificates: /ca.pem}\n",
       "spec.trafficPolicy.tls: cannot specify CaCertificates or CredentialName or "
       "SubjectAltNames when InsecureSkipVerify is set true"},
      {"MutualInsecureWithSans",
       kTp + "    tls: {mode: MUTUAL, credentialName: c, insecureSkipVerify: true, "
             "subjectAltNames: [a]}\n",
       "spec.trafficPolicy.tls: cannot specify CaCertificates or SubjectAltNames when "
       "InsecureSkipVerify is set true"},
      {"PortLevelPortZero",
       kTp + "    portLevelSettings: [{port: {number: 70000}, tls: {mode: DISABLE}}]\n",
       "spec.trafficPolicy.portLevelSettings[0].port.number: must be a port number 1-65535, got "
       "70000"},
      {"TunnelBadHost", kTp + "    tunnel: {targetHost: \"*.x\", targetPort: 1}\n",
       "spec.trafficPolicy.tunnel.targetHost: tunnel target host must be valid FQDN or IP "
       "address: domain name \"*.x\" invalid (label \"*\" invalid)"},
      {"TunnelNoPort", kTp + "    tunnel: {targetHost: egress}\n",
       "spec.trafficPolicy.tunnel.targetPort: tunnel target port is invalid: port number 0 must "
       "be in the range 1..65535"},
      {"ProxyProtocolVersion", kTp + "    proxyProtocol: {version: V3}\n",
       "spec.trafficPolicy.proxyProtocol.version: \"V3\" is not one of V1, V2"},
      {"RetryBudgetPercent", kTp + "    retryBudget: {percent: 120}\n",
       "spec.trafficPolicy.retryBudget.percent: must be within [0, 100]"},
      {"WorkloadSelectorTwoExports",
       kHost + "  workloadSelector: {matchLabels: {app: a}}\n  exportTo: [\".\", other]\n",
       "spec.exportTo: destination rule with workload selector cannot have multiple entries in "
       "exportTo"},
      {"WorkloadSelectorWildcard", kHost + "  workloadSelector: {matchLabels: {\"app*\": a}}\n",
       "spec.workloadSelector.matchLabels[app*]: \"app*\" must be a qualified name "
       "(alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric character, "
       "with an optional DNS subdomain prefix and '/')"},
  };
}

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

class BadDestinationRule : public testing::TestWithParam<BadCase> {};

TEST_P(BadDestinationRule, RejectedWithFieldPath) {
  const BadCase& c = GetParam();
  auto objects = parse(dr(c.spec));
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].object, nullptr);
  EXPECT_EQ(objects[0].error, "dr.yaml: DestinationRule shop/reviews: " + c.error);
}

INSTANTIATE_TEST_SUITE_P(Table, BadDestinationRule, testing::ValuesIn(bad_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(DestinationRuleJson, FieldNamesAsInIstioYaml) {
  nlohmann::json j = only(parse(dr(kFull)));
  EXPECT_EQ(j["host"], "reviews.shop.svc.cluster.local");
  const auto& tp = j["trafficPolicy"];
  EXPECT_EQ(tp["loadBalancer"]["consistentHash"]["httpCookie"]["ttl"], "60s");
  EXPECT_EQ(tp["loadBalancer"]["consistentHash"]["ringHash"]["minimumRingSize"], 2048);
  EXPECT_EQ(tp["loadBalancer"]["localityLbSetting"]["distribute"][0]["to"]["us-west/zone2/*"], 20);
  EXPECT_EQ(tp["connectionPool"]["tcp"]["connectTimeout"], "0.030s");
  EXPECT_EQ(tp["connectionPool"]["tcp"]["idleTimeout"], "0s");
  EXPECT_EQ(tp["connectionPool"]["http"]["h2UpgradePolicy"], "DO_NOT_UPGRADE");
  EXPECT_EQ(tp["outlierDetection"]["consecutive5xxErrors"], 7);
  EXPECT_EQ(tp["outlierDetection"]["baseEjectionTime"], "900s");
  EXPECT_EQ(tp["tls"]["mode"], "MUTUAL");
  EXPECT_EQ(tp["portLevelSettings"][0]["port"]["number"], 9080);
  EXPECT_EQ(tp["portLevelSettings"][0]["loadBalancer"]["simple"], "LEAST_CONN");
  EXPECT_EQ(tp["proxyProtocol"]["version"], "V1");
  EXPECT_EQ(tp["retryBudget"]["percent"], 25.5);
  EXPECT_EQ(j["subsets"][1]["name"], "V2-canary");
  EXPECT_EQ(j["subsets"][1]["trafficPolicy"]["loadBalancer"]["simple"], "ROUND_ROBIN");
  EXPECT_EQ(j["subsets"][0]["labels"]["version"], "v1");
  EXPECT_FALSE(j["subsets"][0].contains("trafficPolicy"));
}

// Istio's own CRD: the enums the decoder accepts are exactly the CRD's.
TEST(DestinationRuleCrd, EnumsMatchIstiosDefinition) {
  const auto crds = zmesh::test_data::istio_crds();
  ZMESH_SKIP_OR_FAIL_WITHOUT(crds);
  const std::string& path = crds.path;
  YAML::Node crd;
  for (const auto& doc : YAML::LoadAllFromFile(path)) {
    if (doc["metadata"]["name"].as<std::string>("") == "destinationrules.networking.istio.io") {
      crd = doc;
    }
  }
  ASSERT_TRUE(crd);
  for (const auto& version : crd["spec"]["versions"]) {
    YAML::Node tp = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
                           ["trafficPolicy"]["properties"];
    auto enum_of = [](const YAML::Node& n) {
      std::vector<std::string> out;
      for (const auto& v : n["enum"]) out.push_back(v.as<std::string>());
      return out;
    };
    std::vector<std::pair<std::string, std::vector<std::string>>> fields = {
        {"loadBalancer: {simple: ", enum_of(tp["loadBalancer"]["properties"]["simple"])},
        {"connectionPool: {http: {h2UpgradePolicy: ",
         enum_of(tp["connectionPool"]["properties"]["http"]["properties"]["h2UpgradePolicy"])},
        {"tls: {credentialName: c, mode: ", enum_of(tp["tls"]["properties"]["mode"])},
        {"proxyProtocol: {version: ", enum_of(tp["proxyProtocol"]["properties"]["version"])},
    };
    for (const auto& [prefix, values] : fields) {
      ASSERT_FALSE(values.empty()) << prefix;
      for (const auto& v : values) {
        std::string closing(std::count(prefix.begin(), prefix.end(), '{'), '}');
        std::string yaml = dr(kTp + "    " + prefix + v + closing + "\n");
        auto objects = parse(yaml);
        ASSERT_EQ(objects.size(), 1u);
        EXPECT_EQ(objects[0].error, "") << version["name"] << " " << prefix << v;
      }
    }
  }
}

}  // namespace
}  // namespace zmesh::config
