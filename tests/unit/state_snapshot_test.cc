// Snapshot indexes and endpoint selection (resolve), and the config_dump JSON.
#include <gtest/gtest.h>

#include <map>

#include "state/snapshot.h"

namespace zmesh::state {
namespace {

using boost::asio::ip::make_address;
using Endpoint = boost::asio::ip::tcp::endpoint;

Endpoint ep(const std::string& ip, uint16_t port) {
  return {make_address(ip), port};
}

struct PodSpec {
  std::string name;
  std::string ip;  // "" for none
  Labels labels = {{"app", "web"}};
  bool ready = true;
  std::string phase = "Running";
  std::vector<ContainerPort> ports = {};
  std::string ns = "shop";
};

Pod make_pod(const PodSpec& s) {
  Pod pod;
  pod.meta.name = s.name;
  pod.meta.namespace_ = s.ns;
  pod.meta.labels = s.labels;
  pod.service_account = "default";
  if (!s.ip.empty()) pod.pod_ips.push_back(make_address(s.ip));
  pod.ready = s.ready;
  pod.phase = s.phase;
  pod.ports = s.ports;
  return pod;
}

Service make_service(const std::string& name, std::vector<std::string> vips,
                     std::vector<ServicePort> ports, Labels selector = {{"app", "web"}}) {
  Service svc;
  svc.meta.name = name;
  svc.meta.namespace_ = "shop";
  for (const auto& v : vips) svc.cluster_ips.push_back(make_address(v));
  svc.ports = std::move(ports);
  svc.selector = std::move(selector);
  return svc;
}

ServicePort port(uint16_t number, uint16_t target = 0, std::string target_name = "") {
  ServicePort p;
  p.name = "p" + std::to_string(number);
  p.port = number;
  p.target_port = target;
  p.target_port_name = std::move(target_name);
  return p;
}

TEST(Resolve, RoundRobinOverReadyEndpointsOnly) {
  auto snap = Snapshot::build(
      {},
      {make_pod({"a", "10.1.0.1"}), make_pod({"b", "10.1.0.2"}), make_pod({"c", "10.1.0.3"}),
       make_pod({"not-ready", "10.1.0.4", {{"app", "web"}}, false}),
       make_pod({"failed", "10.1.0.5", {{"app", "web"}}, true, "Failed"}), make_pod({"no-ip", ""}),
       make_pod({"other-app", "10.1.0.6", {{"app", "db"}}}),
       make_pod({"other-ns", "10.2.0.1", {{"app", "web"}}, true, "Running", {}, "prod"})},
      {make_service("web", {"10.96.0.10"}, {port(80, 8080)})});

  std::map<std::string, int> hits;
  uint64_t rr = 0;
  for (int i = 0; i < 300; ++i) {
    auto t = snap->resolve(ep("10.96.0.10", 80), rr);
    ASSERT_TRUE(t.has_value());
    ASSERT_NE(t->workload, nullptr);
    ASSERT_NE(t->service, nullptr);
    EXPECT_EQ(t->service->name, "web");
    EXPECT_EQ(t->endpoint.port(), 8080);
    EXPECT_EQ(t->endpoint.address(), t->workload->ips[0]);
    ++hits[t->workload->name];
  }
  EXPECT_EQ(rr, 300u);
  EXPECT_EQ(hits, (std::map<std::string, int>{{"a", 100}, {"b", 100}, {"c", 100}}));

  // Endpoints list selected live pods with an IP, ready or not.
  std::vector<std::string> uids;
  for (const auto& w : snap->services()[0]->endpoints) uids.push_back(w->uid);
  EXPECT_EQ(uids, (std::vector<std::string>{"shop/a", "shop/b", "shop/c", "shop/not-ready"}));
}

TEST(Resolve, NamedTargetPortUsesEachPodsContainerPort) {
  auto snap = Snapshot::build(
      {},
      {make_pod({"a", "10.1.0.1", {{"app", "web"}}, true, "Running", {{"http", 8080, "TCP"}}}),
       make_pod({"b", "10.1.0.2", {{"app", "web"}}, true, "Running", {{"http", 9090, "TCP"}}}),
       make_pod(
           {"no-http", "10.1.0.3", {{"app", "web"}}, true, "Running", {{"grpc", 7070, "TCP"}}})},
      {make_service("web", {"10.96.0.10"}, {port(80, 0, "http"), port(81)})});
  std::map<std::string, uint16_t> seen;
  uint64_t rr = 0;
  for (int i = 0; i < 4; ++i) {
    auto t = snap->resolve(ep("10.96.0.10", 80), rr);
    ASSERT_TRUE(t.has_value());
    seen[t->workload->name] = t->endpoint.port();
  }
  EXPECT_EQ(seen, (std::map<std::string, uint16_t>{{"a", 8080}, {"b", 9090}}));

  // Port 81 has no targetPort: the same port on every endpoint, including no-http.
  std::map<std::string, uint16_t> seen81;
  for (int i = 0; i < 3; ++i) {
    auto t = snap->resolve(ep("10.96.0.10", 81), rr);
    ASSERT_TRUE(t.has_value());
    seen81[t->workload->name] = t->endpoint.port();
  }
  EXPECT_EQ(seen81, (std::map<std::string, uint16_t>{{"a", 81}, {"b", 81}, {"no-http", 81}}));
}

TEST(Resolve, VipWithUnknownPortOrNoReadyEndpointIsUnresolved) {
  ServicePort udp = port(53);
  udp.protocol = "UDP";
  auto snap =
      Snapshot::build({}, {make_pod({"a", "10.1.0.1", {{"app", "web"}}, false})},
                      {make_service("web", {"10.96.0.10"}, {port(80), udp}),
                       make_service("empty", {"10.96.0.11"}, {port(80)}, {{"app", "none"}})});
  uint64_t rr = 0;
  EXPECT_FALSE(snap->resolve(ep("10.96.0.10", 80), rr).has_value());   // only a not-ready pod
  EXPECT_FALSE(snap->resolve(ep("10.96.0.10", 443), rr).has_value());  // port not served
  EXPECT_FALSE(snap->resolve(ep("10.96.0.10", 53), rr).has_value());   // UDP port, TCP dial
  EXPECT_FALSE(snap->resolve(ep("10.96.0.11", 80), rr).has_value());   // no endpoints
  EXPECT_EQ(rr, 0u);
}

TEST(Resolve, PodIpAndPassthrough) {
  auto snap = Snapshot::build({}, {make_pod({"a", "10.1.0.1"})}, {});
  uint64_t rr = 0;
  auto t = snap->resolve(ep("10.1.0.1", 5000), rr);
  ASSERT_TRUE(t.has_value());
  ASSERT_NE(t->workload, nullptr);
  EXPECT_EQ(t->workload->uid, "shop/a");
  EXPECT_EQ(t->service, nullptr);
  EXPECT_EQ(t->endpoint, ep("10.1.0.1", 5000));

  t = snap->resolve(ep("::ffff:10.1.0.1", 5000), rr);  // v4-mapped from a dual-stack socket
  ASSERT_TRUE(t.has_value());
  ASSERT_NE(t->workload, nullptr);
  EXPECT_EQ(t->endpoint, ep("10.1.0.1", 5000));

  t = snap->resolve(ep("8.8.8.8", 53), rr);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->workload, nullptr);
  EXPECT_EQ(t->service, nullptr);
  EXPECT_EQ(t->endpoint, ep("8.8.8.8", 53));
}

TEST(Resolve, HeadlessServiceHasEndpointsButNoVip) {
  auto snap = Snapshot::build({}, {make_pod({"db-0", "10.1.0.9", {{"app", "db"}}})},
                              {make_service("db", {}, {port(5432)}, {{"app", "db"}})});
  ASSERT_EQ(snap->services().size(), 1u);
  EXPECT_TRUE(snap->services()[0]->vips.empty());
  ASSERT_EQ(snap->services()[0]->endpoints.size(), 1u);
  uint64_t rr = 0;
  auto t = snap->resolve(ep("10.1.0.9", 5432), rr);  // clients dial the pod IP from DNS
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->workload->uid, "shop/db-0");
  EXPECT_EQ(t->service, nullptr);
  EXPECT_EQ(t->endpoint, ep("10.1.0.9", 5432));
}

TEST(Resolve, DualStackPicksThePodIpOfTheDialedFamily) {
  Pod pod = make_pod({"a", "10.1.0.1"});
  pod.pod_ips.push_back(make_address("fd00::1"));
  auto snap =
      Snapshot::build({}, {pod}, {make_service("web", {"10.96.0.10", "fd00:96::10"}, {port(80)})});
  uint64_t rr = 0;
  EXPECT_EQ(snap->resolve(ep("fd00:96::10", 80), rr)->endpoint, ep("fd00::1", 80));
  EXPECT_EQ(snap->resolve(ep("10.96.0.10", 80), rr)->endpoint, ep("10.1.0.1", 80));
  EXPECT_EQ(snap->workload_by_ip(make_address("fd00::1"))->uid, "shop/a");
}

TEST(Snapshot, IpReusedByALivePodBelongsToIt) {
  auto snap = Snapshot::build(
      {}, {make_pod({"old", "10.1.0.1", {}, true, "Succeeded"}), make_pod({"new", "10.1.0.1"})},
      {});
  EXPECT_EQ(snap->workloads().size(), 2u);
  EXPECT_EQ(snap->workload_by_ip(make_address("10.1.0.1"))->uid, "shop/new");
  EXPECT_EQ(snap->workload_by_uid("shop/old")->name, "old");
  EXPECT_EQ(snap->workload_by_uid("shop/none"), nullptr);
}

TEST(Snapshot, NamespaceAmbient) {
  Namespace mesh{{"shop", "", {{kDataplaneModeLabel, "ambient"}}, {}, "", "", {}}};
  Namespace plain{{"plain", "", {}, {}, "", "", {}}};
  auto snap = Snapshot::build({mesh, plain}, {make_pod({"a", "10.1.0.1"})}, {});
  EXPECT_TRUE(snap->namespace_ambient("shop"));
  EXPECT_FALSE(snap->namespace_ambient("plain"));
  EXPECT_FALSE(snap->namespace_ambient("unknown"));
  EXPECT_TRUE(snap->workloads()[0]->ambient);
}

TEST(Snapshot, ToJson) {
  Namespace mesh{{"shop", "", {{kDataplaneModeLabel, "ambient"}}, {}, "", "", {}}};
  Pod pod = make_pod({"web-1", "10.1.0.1", {{"app", "web"}}});
  pod.node_name = "node-1";
  ServicePort named = port(80, 0, "http");
  named.app_protocol = "http";
  auto snap = Snapshot::build({mesh}, {pod},
                              {make_service("web", {"10.96.0.10"}, {named, port(9000, 9090)})});
  auto expected = nlohmann::json::parse(R"({
    "namespaces": [{"name": "shop", "labels": {"istio.io/dataplane-mode": "ambient"}, "ambient": true}],
    "workloads": [{"uid": "shop/web-1", "name": "web-1", "namespace": "shop", "node": "node-1",
                   "serviceAccount": "default",
                   "identity": "spiffe://cluster.local/ns/shop/sa/default",
                   "workloadName": "web-1", "canonicalService": "web", "canonicalRevision": "latest",
                   "ips": ["10.1.0.1"], "labels": {"app": "web"}, "ready": true, "ambient": true,
                   "meshReason": "namespace shop has istio.io/dataplane-mode=ambient"}],
    "services": [{"name": "web", "namespace": "shop", "hostname": "web.shop.svc.cluster.local",
                  "vips": ["10.96.0.10"],
                  "ports": [{"name": "p80", "protocol": "TCP", "port": 80, "targetPort": "http",
                             "appProtocol": "http"},
                            {"name": "p9000", "protocol": "TCP", "port": 9000, "targetPort": 9090}],
                  "endpoints": ["shop/web-1"]}],
    "peerAuthentications": [],
    "serviceAccounts": [], "endpointSlices": [], "virtualServices": [], "destinationRules": [],
    "authorizationPolicies": [], "requestAuthentications": [],
    "meshConfig": {
      "extensionProviders": [{"name": "prometheus", "unsupported": {"kind": "prometheus"}},
                             {"name": "stackdriver", "unsupported": {"kind": "stackdriver"}},
                             {"name": "envoy", "unsupported": {"kind": "envoyFileAccessLog"}}],
      "defaultProviders": {"tracing": [], "metrics": [], "accessLogging": []},
      "enableTracing": true,
      "defaultConfig": {"tracing": {"sampling": 1.0}, "gatewayTopology": {"numTrustedProxies": 0}},
      "outboundTrafficPolicy": {"mode": "ALLOW_ANY"},
      "trustDomain": "cluster.local"},
    "rootNamespace": "istio-system"
  })");
  EXPECT_EQ(snap->to_json(), expected) << snap->to_json().dump(2);
}

}  // namespace
}  // namespace zmesh::state
