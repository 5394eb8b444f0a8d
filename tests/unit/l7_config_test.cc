// The L7 building blocks that need no network: which ports speak HTTP, host qualification,
// the oldest VirtualService winning a host, subset membership and balancing of a destination,
// and the request metrics' exposition.
#include "routing/l7_config.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>
#include <variant>

#include "routing/destination.h"
#include "routing/http_ports.h"
#include "telemetry/metrics.h"

namespace zmesh::routing {
namespace {

using boost::asio::ip::make_address;

state::ServicePort port(std::string name, std::string app_protocol = "") {
  state::ServicePort p;
  p.name = std::move(name);
  p.app_protocol = std::move(app_protocol);
  p.port = 9080;
  p.target_port = 9080;
  return p;
}

TEST(l7, PortDeclaresHttpByAppProtocolThenName) {
  EXPECT_TRUE(port_declares_http(port("http")));
  EXPECT_TRUE(port_declares_http(port("http-web")));
  EXPECT_TRUE(port_declares_http(port("http2-x")));
  EXPECT_TRUE(port_declares_http(port("grpc")));
  EXPECT_TRUE(port_declares_http(port("GRPC-api")));
  EXPECT_TRUE(port_declares_http(port("tcp", "http")));
  EXPECT_TRUE(port_declares_http(port("", "kubernetes.io/h2c")));
  EXPECT_FALSE(port_declares_http(port("tcp-web")));
  EXPECT_FALSE(port_declares_http(port("httpx")));
  EXPECT_FALSE(port_declares_http(port("web")));
  EXPECT_FALSE(port_declares_http(port("http", "tcp")));  // appProtocol wins over the name
}

TEST(l7, ShortHostsAreQualifiedWithTheNamespace) {
  EXPECT_EQ(qualify_host("reviews", "bookinfo"), "reviews.bookinfo.svc.cluster.local");
  EXPECT_EQ(qualify_host("reviews.other.svc.cluster.local", "bookinfo"),
            "reviews.other.svc.cluster.local");
}

state::Pod pod(std::string name, std::string ip, std::string version) {
  state::Pod p;
  p.meta.name = std::move(name);
  p.meta.namespace_ = "bookinfo";
  p.meta.labels = {{"app", "reviews"}, {"version", std::move(version)}};
  p.node_name = "node0";
  p.pod_ips = {make_address(ip)};
  return p;
}

state::VirtualService vs(std::string name, std::string subset, int created_second) {
  state::VirtualService v;
  v.meta.name = std::move(name);
  v.meta.namespace_ = "bookinfo";
  v.meta.creation_timestamp = state::Timestamp(std::chrono::seconds(created_second));
  v.hosts = {"reviews"};
  state::HttpRoute r;
  r.name = subset;
  state::HttpRouteDestination d;
  d.destination.host = "reviews";
  d.destination.subset = std::move(subset);
  r.route.push_back(d);
  v.http.push_back(r);
  return v;
}

std::shared_ptr<const state::Snapshot> bookinfo() {
  state::ConfigSet set;
  state::Namespace ns;
  ns.meta.name = "bookinfo";
  set.add(ns);
  set.add(pod("reviews-v1", "10.0.0.1", "v1"));
  set.add(pod("reviews-v2", "10.0.0.2", "v2"));
  state::Service svc;
  svc.meta.name = "reviews";
  svc.meta.namespace_ = "bookinfo";
  svc.cluster_ips = {make_address("10.96.0.1")};
  svc.selector = {{"app", "reviews"}};
  svc.ports = {port("http")};
  set.add(svc);
  set.virtual_services = {vs("newer", "v2", 200), vs("older", "v1", 100)};
  state::DestinationRule dr;
  dr.meta.name = "reviews";
  dr.meta.namespace_ = "bookinfo";
  dr.host = "reviews";
  dr.subsets = {{"v1", {{"version", "v1"}}, std::nullopt},
                {"v2", {{"version", "v2"}}, std::nullopt}};
  set.destination_rules = {dr};
  return state::Snapshot::build(std::move(set));
}

TEST(l7, OldestVirtualServiceOwnsTheHost) {
  auto config = L7Config::build(bookinfo());
  const auto* table = config->routes_for("reviews.bookinfo.svc.cluster.local");
  ASSERT_NE(table, nullptr);
  ASSERT_EQ(table->routes().size(), 1u);
  EXPECT_EQ(table->routes()[0].vs_name, "older");
  EXPECT_EQ(config->routes_for("reviews"), nullptr);  // tables are keyed by the full name
  EXPECT_NE(config->rule_for("reviews.bookinfo.svc.cluster.local"), nullptr);
}

TEST(l7, DestinationHasOnlyTheSubsetMembers) {
  auto config = L7Config::build(bookinfo());
  auto made = make_destination(*config, "reviews.bookinfo.svc.cluster.local", "v2", 9080,
                               make_address("10.96.0.1"), 1);
  auto* d = std::get_if<std::shared_ptr<Destination>>(&made);
  ASSERT_NE(d, nullptr);
  ASSERT_EQ((*d)->members.size(), 1u);
  EXPECT_EQ((*d)->targets[0].address().to_string(), "10.0.0.2");
  auto pick = (*d)->pick({}, std::nullopt);
  EXPECT_EQ(pick.kind, upstream::Pick::Kind::kEndpoint);
  // A retry avoids the tried endpoint only while another one is left.
  size_t tried[] = {0};
  EXPECT_EQ((*d)->pick(tried, std::nullopt).index, 0u);

  auto missing = make_destination(*config, "reviews.bookinfo.svc.cluster.local", "v9", 9080,
                                  make_address("10.96.0.1"), 1);
  ASSERT_TRUE(std::holds_alternative<DestinationError>(missing));
  EXPECT_STREQ(std::get<DestinationError>(missing).flag, "NC");
}

state::DestinationRule rule(std::string name, std::string ns, int created_second,
                            std::vector<std::string> subsets,
                            std::optional<state::LoadBalancerSettings::Simple> lb) {
  state::DestinationRule dr;
  dr.meta.name = std::move(name);
  dr.meta.namespace_ = std::move(ns);
  dr.meta.creation_timestamp = state::Timestamp(std::chrono::seconds(created_second));
  dr.host = "reviews.bookinfo.svc.cluster.local";
  for (auto& s : subsets) dr.subsets.push_back({s, {{"version", s}}, std::nullopt});
  if (lb) {
    state::TrafficPolicy tp;
    tp.load_balancer = state::LoadBalancerSettings{};
    tp.load_balancer->simple = lb;
    dr.traffic_policy = tp;
  }
  return dr;
}

std::shared_ptr<const state::Snapshot> with_rules(std::vector<state::DestinationRule> rules) {
  state::ConfigSet set;
  state::Namespace ns;
  ns.meta.name = "bookinfo";
  set.add(ns);
  set.add(pod("reviews-v1", "10.0.0.1", "v1"));
  set.add(pod("reviews-v2", "10.0.0.2", "v2"));
  state::Service svc;
  svc.meta.name = "reviews";
  svc.meta.namespace_ = "bookinfo";
  svc.cluster_ips = {make_address("10.96.0.1")};
  svc.selector = {{"app", "reviews"}};
  svc.ports = {port("http")};
  set.add(svc);
  set.destination_rules = std::move(rules);
  return state::Snapshot::build(std::move(set));
}

using Simple = state::LoadBalancerSettings::Simple;

TEST(l7, RulesOfOneHostMergeAsIstioMergesThem) {
  // Oldest first: "a" has subset v1 and no policy; "b" adds v2 and a policy; "c" repeats v1
  // (ignored) with another policy (ignored: b's came first); "d" lives elsewhere.
  auto config = L7Config::build(with_rules({
      rule("c", "bookinfo", 30, {"v1"}, Simple::kRandom),
      rule("a", "bookinfo", 10, {"v1"}, std::nullopt),
      rule("b", "bookinfo", 20, {"v2"}, Simple::kRoundRobin),
      rule("d", "other", 5, {"v3"}, Simple::kLeastRequest),
  }));
  const auto* merged = config->rule_for("reviews.bookinfo.svc.cluster.local");
  ASSERT_NE(merged, nullptr);
  EXPECT_EQ(merged->meta.name, "d");  // the oldest of all owns the host
  config = L7Config::build(with_rules({
      rule("c", "bookinfo", 30, {"v1"}, Simple::kRandom),
      rule("a", "bookinfo", 10, {"v1"}, std::nullopt),
      rule("b", "bookinfo", 20, {"v2"}, Simple::kRoundRobin),
  }));
  merged = config->rule_for("reviews.bookinfo.svc.cluster.local");
  ASSERT_NE(merged, nullptr);
  ASSERT_EQ(merged->subsets.size(), 2u);
  EXPECT_EQ(merged->subsets[0].name, "v1");
  EXPECT_EQ(merged->subsets[1].name, "v2");
  ASSERT_TRUE(merged->traffic_policy);
  EXPECT_EQ(merged->traffic_policy->load_balancer->simple, Simple::kRoundRobin);
  // Both subsets route: v2 came from the newer rule.
  auto made = make_destination(*config, "reviews.bookinfo.svc.cluster.local", "v2", 9080,
                               make_address("10.96.0.1"), 1);
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<Destination>>(made));
}

TEST(l7, WorkloadSelectorRuleAppliesOnlyToTheWorkloadsItSelects) {
  auto general = rule("general", "bookinfo", 10, {"v1", "v2"}, Simple::kRoundRobin);
  auto selected = rule("for-canary-clients", "bookinfo", 20, {"v1"}, Simple::kRandom);
  selected.workload_selector = state::Labels{{"role", "canary"}};
  auto config = L7Config::build(with_rules({general, selected}));
  state::Workload canary, other, elsewhere;
  canary.namespace_ = other.namespace_ = "bookinfo";
  elsewhere.namespace_ = "other";
  canary.labels = elsewhere.labels = {{"role", "canary"}};
  const std::string host = "reviews.bookinfo.svc.cluster.local";
  EXPECT_EQ(config->rule_for(host, &canary)->meta.name, "for-canary-clients");
  EXPECT_EQ(config->rule_for(host, &other)->meta.name, "general");
  EXPECT_EQ(config->rule_for(host, &elsewhere)->meta.name, "general");  // same namespace only
  EXPECT_EQ(config->rule_for(host)->meta.name, "general");
  EXPECT_NE(destination_key(*config, host, "v1", 9080, &canary),
            destination_key(*config, host, "v1", 9080, &other));
  // The selected rule has no v2: the canary client gets NC for it, others route.
  auto for_canary =
      make_destination(*config, host, "v2", 9080, make_address("10.96.0.1"), 1, &canary);
  EXPECT_TRUE(std::holds_alternative<DestinationError>(for_canary));
  auto for_other =
      make_destination(*config, host, "v2", 9080, make_address("10.96.0.1"), 1, &other);
  EXPECT_TRUE(std::holds_alternative<std::shared_ptr<Destination>>(for_other));
}

TEST(l7, RetryPicksAnotherEndpoint) {
  auto config = L7Config::build(bookinfo());
  auto made = make_destination(*config, "reviews.bookinfo.svc.cluster.local", "", 9080,
                               make_address("10.96.0.1"), 7);
  auto& d = std::get<std::shared_ptr<Destination>>(made);
  ASSERT_EQ(d->members.size(), 2u);
  for (size_t first = 0; first < 2; ++first) {
    size_t tried[] = {first};
    for (int i = 0; i < 20; ++i) EXPECT_EQ(d->pick(tried, std::nullopt).index, 1 - first);
  }
}

TEST(l7, RequestMetricsRenderCounterAndHistograms) {
  telemetry::Metrics m(2);
  telemetry::HttpLabels l;
  l.common.reporter = "source";
  l.common.request_protocol = "http";
  l.response_code = "503";
  l.common.response_flags = "UH";
  m.http(0, l).record(std::chrono::microseconds(7000), 10, 200);
  m.http(1, l).record(std::chrono::microseconds(300), 0, 0);
  auto text = m.render_prometheus();
  EXPECT_NE(text.find("# TYPE istio_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("response_code=\"503\""), std::string::npos);
  EXPECT_NE(text.find("response_flags=\"UH\""), std::string::npos);
  auto series = telemetry::render_http_labels(l);
  EXPECT_NE(text.find("istio_requests_total" + series + " 2\n"), std::string::npos);
  std::string open = series.substr(0, series.size() - 1);
  // 0.3 ms falls in le=0.5; 7 ms in le=10; buckets are cumulative.
  EXPECT_NE(text.find("istio_request_duration_milliseconds_bucket" + open + ",le=\"0.5\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("istio_request_duration_milliseconds_bucket" + open + ",le=\"5\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("istio_request_duration_milliseconds_bucket" + open + ",le=\"10\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("istio_request_duration_milliseconds_count" + series + " 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("istio_response_bytes_sum" + series + " 200\n"), std::string::npos);
}

}  // namespace
}  // namespace zmesh::routing
