// VirtualService tcp[] routes: each L4 match field alone, AND within an entry, OR across
// entries, first route wins, gateways, and the weighted destination draw.
#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>

#include "route/l4_route.h"

namespace zmesh::route {
namespace {

using boost::asio::ip::make_address;

L4Facts facts(const char* ip = "10.96.0.10", uint16_t port = 5432,
              const state::Labels* labels = nullptr, std::string_view ns = "shop") {
  L4Facts f;
  f.destination = make_address(ip);
  f.port = port;
  f.source_labels = labels;
  f.source_namespace = ns;
  return f;
}

TEST(l4_route, EachMatchFieldAlone) {
  state::Labels app{{"app", "cart"}, {"version", "v1"}};
  struct Row {
    const char* name;
    state::L4Match match;
    L4Facts facts;
    bool want;
  };
  state::L4Match port_5432, subnet, subnet_ip, labels, ns, gw_mesh, gw_other;
  port_5432.port = 5432;
  subnet.destination_subnets = {"10.96.0.0/16"};
  subnet_ip.destination_subnets = {"10.96.0.10"};
  labels.source_labels = {{"app", "cart"}};
  ns.source_namespace = "shop";
  gw_mesh.gateways = {"istio-system/ingress", "mesh"};
  gw_other.gateways = {"istio-system/ingress"};
  const Row rows[] = {
      {"empty matches all", {}, facts(), true},
      {"port equal", port_5432, facts(), true},
      {"port differs", port_5432, facts("10.96.0.10", 80), false},
      {"subnet contains", subnet, facts("10.96.3.4"), true},
      {"subnet misses", subnet, facts("10.97.0.1"), false},
      {"bare address", subnet_ip, facts(), true},
      {"bare address misses", subnet_ip, facts("10.96.0.11"), false},
      {"source labels subset", labels, facts("10.96.0.10", 5432, &app), true},
      {"source labels absent", labels, facts(), false},
      {"source namespace", ns, facts(), true},
      {"other namespace", ns, facts("10.96.0.10", 5432, nullptr, "web"), false},
      {"gateways with mesh", gw_mesh, facts(), true},
      {"gateway only", gw_other, facts(), false},
  };
  for (const auto& r : rows) EXPECT_EQ(l4_matches(r.match, r.facts), r.want) << r.name;
}

TEST(l4_route, SniHosts) {
  std::vector<std::string> hosts{"db.shop.example", "*.Cache.example"};
  EXPECT_TRUE(sni_matches(hosts, "db.shop.example"));
  EXPECT_TRUE(sni_matches(hosts, "a.cache.example"));
  EXPECT_TRUE(sni_matches(hosts, "a.b.cache.example"));
  EXPECT_FALSE(sni_matches(hosts, "cache.example"));  // the wildcard needs a label
  EXPECT_FALSE(sni_matches(hosts, "xdb.shop.example"));
  EXPECT_TRUE(sni_matches({"*"}, "anything.example"));
  state::L4Match tls;
  tls.sni_hosts = {"db.shop.example"};
  auto f = facts();
  EXPECT_FALSE(l4_matches(tls, f));  // no SNI read: a tls[] entry cannot match
  f.sni = "db.shop.example";
  EXPECT_TRUE(l4_matches(tls, f));
  f.sni = "other.example";
  EXPECT_FALSE(l4_matches(tls, f));
}

TEST(l4_route, FieldsAndEntriesOrRoutesFirstMatch) {
  state::L4Match both;
  both.port = 5432;
  both.source_namespace = "web";
  state::L4Match other_port;
  other_port.port = 80;
  state::L4Route first{{both, other_port}, {}};  // (5432 AND web) OR 80
  state::L4Route catch_all{{}, {}};
  std::vector<state::L4Route> routes{first, catch_all};
  EXPECT_EQ(select_l4_route(routes, facts("10.96.0.10", 5432, nullptr, "web")), 0u);
  EXPECT_EQ(select_l4_route(routes, facts("10.96.0.10", 80)), 0u);
  EXPECT_EQ(select_l4_route(routes, facts("10.96.0.10", 5432, nullptr, "shop")), 1u);
  std::vector<state::L4Route> only_first{first};
  EXPECT_EQ(select_l4_route(only_first, facts()), std::nullopt);  // default route applies
}

TEST(l4_route, WeightedDestinations) {
  state::L4Route r;
  r.route = {{{"a", "", std::nullopt}, 75}, {{"b", "", std::nullopt}, 25}};
  EXPECT_EQ(pick_l4_destination(r, 0), 0u);
  EXPECT_EQ(pick_l4_destination(r, 74), 0u);
  EXPECT_EQ(pick_l4_destination(r, 75), 1u);
  EXPECT_EQ(pick_l4_destination(r, 99), 1u);
  state::L4Route single;
  single.route = {{{"a", "", std::nullopt}, 0}};  // a single destination takes all
  EXPECT_EQ(pick_l4_destination(single, 12345), 0u);
  state::L4Route zero;
  zero.route = {{{"a", "", std::nullopt}, 0}, {{"b", "", std::nullopt}, 0}};
  EXPECT_EQ(pick_l4_destination(zero, 1), std::nullopt);
}

}  // namespace
}  // namespace zmesh::route
