// The outbound decision as a table, in the spirit of Istio ztunnel's build_request tests: one
// snapshot (a mesh namespace, a namespace outside the mesh, Services with and without HTTP
// ports, VirtualService tcp routes, a DestinationRule with tcp settings), and for each original
// destination the plan's action, target, reason and identities.
#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>
#include <string>
#include <vector>

#include "common/endpoint_text.h"
#include "routing/outbound_plan.h"

namespace zmesh::routing {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::tcp;
using Action = OutboundPlan::Action;

state::Namespace ns(std::string name, bool ambient) {
  state::Namespace n;
  n.meta.name = std::move(name);
  if (ambient) n.meta.labels = {{"istio.io/dataplane-mode", "ambient"}};
  return n;
}

state::Pod pod(std::string name, std::string ns, std::string ip, std::string app) {
  state::Pod p;
  p.meta.name = std::move(name);
  p.meta.namespace_ = std::move(ns);
  p.meta.labels = {{"app", std::move(app)}};
  p.node_name = "node0";
  p.service_account = "sa-" + p.meta.name;
  p.pod_ips = {make_address(ip)};
  return p;
}

state::Service service(std::string name, std::string ns, std::string vip, std::string app,
                       std::string port_name, uint16_t port, uint16_t target) {
  state::Service s;
  s.meta.name = std::move(name);
  s.meta.namespace_ = std::move(ns);
  s.cluster_ips = {make_address(vip)};
  s.selector = {{"app", std::move(app)}};
  state::ServicePort p;
  p.name = std::move(port_name);
  p.port = port;
  p.target_port = target;
  s.ports = {p};
  return s;
}

std::shared_ptr<const state::Snapshot> mesh() {
  state::ConfigSet set;
  set.add(ns("shop", true));
  set.add(ns("legacy", false));
  set.add(pod("client", "shop", "10.0.0.1", "client"));
  set.add(pod("db", "shop", "10.0.0.2", "db"));      // in the mesh
  set.add(pod("old", "legacy", "10.0.1.1", "old"));  // outside it
  set.add(pod("web", "shop", "10.0.0.3", "web"));
  set.add(service("db", "shop", "10.96.0.2", "db", "tcp-db", 5432, 5432));
  set.add(service("old", "legacy", "10.96.1.1", "old", "tcp", 80, 8080));
  set.add(service("web", "shop", "10.96.0.3", "web", "http", 80, 8080));
  set.add(service("empty", "shop", "10.96.0.9", "nobody", "tcp", 80, 80));
  set.add(service("lonely", "shop", "10.96.0.8", "nobody", "tcp", 80, 80));
  set.add(service("split", "shop", "10.96.0.5", "nobody", "tcp", 7000, 7000));
  // split:7000 is a tcp route to db; split's other traffic has no endpoint of its own.
  state::VirtualService vs;
  vs.meta.name = "split";
  vs.meta.namespace_ = "shop";
  vs.hosts = {"split"};
  state::L4Route r;
  state::RouteDestination d;
  d.destination.host = "db";
  d.destination.port = 5432;
  d.weight = 100;
  r.route = {d};
  vs.tcp = {r};
  state::VirtualService nowhere = vs;
  nowhere.meta.name = "nowhere";
  nowhere.hosts = {"empty"};
  nowhere.tcp[0].route[0].destination.host = "empty";
  nowhere.tcp[0].route[0].destination.port = std::nullopt;
  set.virtual_services = {vs, nowhere};
  // db's DestinationRule sets a connect timeout: the byte stream carries it.
  state::DestinationRule dr;
  dr.meta.name = "db";
  dr.meta.namespace_ = "shop";
  dr.host = "db";
  state::TrafficPolicy tp;
  tp.connection_pool.emplace().tcp.emplace().connect_timeout = std::chrono::milliseconds(250);
  dr.traffic_policy = tp;
  set.destination_rules = {dr};
  return state::Snapshot::build(std::move(set));
}

struct Case {
  const char* name;
  const char* dialed;  // "ip:port"
  Action action;
  const char* target;         // endpoint dialed, "" when none
  const char* reason;         // prefix of the plan's reason
  const char* identity = "";  // kHbone: the destination's SPIFFE id
  bool settings = false;      // a DestinationRule's tcp settings travel with the plan
};

tcp::endpoint ep(const std::string& text) {
  auto colon = text.rfind(':');
  return tcp::endpoint(make_address(text.substr(0, colon)),
                       static_cast<uint16_t>(std::stoi(text.substr(colon + 1))));
}

TEST(OutboundPlan, Table) {
  const std::vector<Case> cases = {
      {"service in the mesh: HBONE to its endpoint, with its rule's tcp settings", "10.96.0.2:5432",
       Action::kHbone, "10.0.0.2:5432", "service shop/db",
       "spiffe://cluster.local/ns/shop/sa/sa-db", true},
      {"pod in the mesh dialed directly: HBONE", "10.0.0.2:5432", Action::kHbone, "10.0.0.2:5432",
       "workload", "spiffe://cluster.local/ns/shop/sa/sa-db"},
      {"service outside the mesh: plain TCP to its target port", "10.96.1.1:80", Action::kTcp,
       "10.0.1.1:8080", "service legacy/old"},
      {"pod outside the mesh: plain TCP", "10.0.1.1:8080", Action::kTcp, "10.0.1.1:8080",
       "workload"},
      {"unknown address: passthrough", "192.0.2.7:443", Action::kPassthrough, "192.0.2.7:443",
       "passthrough"},
      {"HTTP port: the HTTP pipeline", "10.96.0.3:80", Action::kHttp, "", "http"},
      {"service without endpoints: refused", "10.96.0.8:80", Action::kRefuse, "",
       "no healthy upstream for 10.96.0.8:80"},
      {"tcp route to a mesh service: HBONE to the route's destination", "10.96.0.5:7000",
       Action::kHbone, "10.0.0.2:5432", "tcp route shop/split#tcp0",
       "spiffe://cluster.local/ns/shop/sa/sa-db", true},
      {"tcp route whose destination has no endpoint: refused", "10.96.0.9:80", Action::kRefuse, "",
       "no healthy upstream for empty.shop.svc.cluster.local"},
  };
  auto snapshot = mesh();
  auto source = snapshot->workload_by_uid("shop/client");
  ASSERT_NE(source, nullptr);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    WorkerRoutes routes;
    uint64_t rr = 0;
    OutboundFacts facts{source.get(), ep(c.dialed), std::nullopt};
    auto plan = plan_outbound(routes, snapshot, facts, "cluster.local", rr);
    EXPECT_EQ(plan.action, c.action) << plan.reason;
    EXPECT_EQ(plan.reason.rfind(c.reason, 0), 0u) << plan.reason;
    if (*c.target) {
      ASSERT_TRUE(plan.target);
      EXPECT_EQ(endpoint_text(plan.target->endpoint), c.target);
    } else {
      EXPECT_FALSE(plan.target);
    }
    EXPECT_EQ(plan.destination_identity ? plan.destination_identity->uri() : "", c.identity);
    EXPECT_EQ(plan.settings.has_value(), c.settings);
    if (c.settings) {
      EXPECT_EQ(plan.settings->connect_timeout, std::chrono::milliseconds(250));
    }
    if (c.action == Action::kHttp) {
      ASSERT_TRUE(plan.http);
      EXPECT_EQ(plan.http->service->name, "web");
      EXPECT_EQ(plan.http->port, 80);
    }
  }
}

TEST(OutboundPlan, OneRuleForHboneOrTcp) {
  state::Workload in_mesh, outside;
  in_mesh.ambient = true;
  EXPECT_EQ(transport_to(&in_mesh), Transport::kHbone);
  EXPECT_EQ(transport_to(&outside), Transport::kTcp);
  EXPECT_EQ(transport_to(nullptr), Transport::kTcp);  // not a workload the mesh knows
}

TEST(OutboundPlan, SniIsNeededOnlyWhereTlsRoutesApply) {
  auto snapshot = mesh();
  WorkerRoutes routes;
  EXPECT_FALSE(needs_sni(routes, snapshot, ep("10.96.0.5:7000")));  // tcp routes only
  EXPECT_FALSE(needs_sni(routes, snapshot, ep("10.96.0.2:5432")));
}

}  // namespace
}  // namespace zmesh::routing
