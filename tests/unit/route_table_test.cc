// How http[] routes are chosen: in order, first match wins, match[] entries ORed, a route
// without match[] catches everything after it, nothing matching is NR (nullopt).
#include "route/route_table.h"

#include <gtest/gtest.h>

#include <vector>

#include "route_test_request.h"

namespace zmesh::route {
namespace {

using testing::exact;
using testing::get;
using testing::prefix;
using testing::regex;

state::HttpRoute to(std::string name, std::string subset, std::vector<state::HttpMatchRequest> m) {
  state::HttpRoute r;
  r.name = std::move(name);
  r.match = std::move(m);
  state::HttpRouteDestination d;
  d.destination.host = "reviews";
  d.destination.subset = std::move(subset);
  r.route.push_back(d);
  return r;
}

state::HttpMatchRequest header_is(std::string name, std::string value, std::string mname = "") {
  state::HttpMatchRequest m;
  m.name = std::move(mname);
  m.headers[name] = exact(std::move(value));
  return m;
}

state::HttpMatchRequest uri_prefix(std::string p, std::string mname = "") {
  state::HttpMatchRequest m;
  m.name = std::move(mname);
  m.uri = prefix(std::move(p));
  return m;
}

state::VirtualService vs(std::string name, std::vector<state::HttpRoute> routes) {
  state::VirtualService v;
  v.meta.name = std::move(name);
  v.meta.namespace_ = "bookinfo";
  v.hosts = {"reviews"};
  v.http = std::move(routes);
  return v;
}

RouteTable table_of(const std::vector<const state::VirtualService*>& list) {
  return RouteTable::build(list);
}

// The subset of the selected route, or "NR".
std::string pick(const RouteTable& t, const testing::TestRequest& r) {
  auto s = t.select(r.view());
  if (!s) return "NR";
  return s->route->spec.route.front().destination.subset;
}

TEST(RouteTable, FirstMatchWinsThenCatchAll) {
  auto v =
      vs("reviews", {to("jason", "v2", {header_is("end-user", "jason")}), to("rest", "v1", {})});
  RouteTable t = table_of({&v});
  EXPECT_EQ(pick(t, get("/", {{"end-user", "jason"}})), "v2");
  EXPECT_EQ(pick(t, get("/", {{"end-user", "mary"}})), "v1");
  EXPECT_EQ(pick(t, get("/")), "v1");
}

TEST(RouteTable, OrderMattersACatchAllShadowsLaterRoutes) {
  auto v =
      vs("reviews", {to("rest", "v1", {}), to("jason", "v2", {header_is("end-user", "jason")})});
  RouteTable t = table_of({&v});
  EXPECT_EQ(pick(t, get("/", {{"end-user", "jason"}})), "v1");
}

TEST(RouteTable, OverlappingMatchesTheEarlierRouteWins) {
  auto v = vs("reviews",
              {to("api", "v1", {uri_prefix("/api")}), to("api-v2", "v2", {uri_prefix("/api/v2")})});
  RouteTable t = table_of({&v});
  EXPECT_EQ(pick(t, get("/api/v2/x")), "v1");
}

TEST(RouteTable, MatchEntriesAreOredAndNothingIsNR) {
  auto v = vs("reviews", {to("ab", "v3", {uri_prefix("/a"), uri_prefix("/b")})});
  RouteTable t = table_of({&v});
  EXPECT_EQ(pick(t, get("/a/1")), "v3");
  EXPECT_EQ(pick(t, get("/b/1")), "v3");
  EXPECT_EQ(pick(t, get("/c/1")), "NR");
  EXPECT_FALSE(RouteTable().select(get("/").view()).has_value());
}

TEST(RouteTable, IndexAndIstioRouteNames) {
  auto v = vs("reviews", {to("first", "v1", {uri_prefix("/x", "")}),
                          to("second", "v2", {uri_prefix("/a", "alpha"), uri_prefix("/b")})});
  RouteTable t = table_of({&v});
  auto a = t.select(get("/a").view());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->index, 1u);
  EXPECT_EQ(a->name, "second.alpha");
  EXPECT_EQ(a->route->vs_name, "reviews");
  EXPECT_EQ(a->route->vs_namespace, "bookinfo");
  auto b = t.select(get("/b").view());
  ASSERT_TRUE(b);
  EXPECT_EQ(b->name, "second");
  auto x = t.select(get("/x").view());
  ASSERT_TRUE(x);
  EXPECT_EQ(x->index, 0u);
  EXPECT_EQ(x->name, "first");
}

TEST(RouteTable, VirtualServicesConcatenateInTheGivenOrder) {
  auto older = vs("older", {to("a", "v1", {uri_prefix("/a")})});
  auto newer = vs("newer", {to("a2", "v2", {uri_prefix("/a")}), to("b", "v3", {uri_prefix("/b")})});
  RouteTable t = table_of({&older, &newer});
  EXPECT_EQ(pick(t, get("/a")), "v1");
  EXPECT_EQ(pick(t, get("/b")), "v3");
  EXPECT_EQ(t.select(get("/b").view())->index, 2u);
  EXPECT_EQ(t.routes().size(), 3u);
}

TEST(RouteTable, VirtualServicesBoundToOtherGatewaysAreSkipped) {
  auto gw = vs("gw", {to("a", "v1", {})});
  gw.gateways = {"istio-system/ingress"};
  auto both = vs("both", {to("b", "v2", {})});
  both.gateways = {"istio-system/ingress", "mesh"};
  EXPECT_EQ(pick(table_of({&gw}), get("/")), "NR");
  EXPECT_EQ(pick(table_of({&gw, &both}), get("/")), "v2");
}

TEST(RouteTable, BrokenRegexIsReportedAndOnlyItsEntryStopsMatching) {
  state::HttpMatchRequest bad;
  bad.uri = regex("(");
  auto v = vs("reviews", {to("bad", "v9", {bad}), to("rest", "v1", {})});
  RouteTable t = table_of({&v});
  ASSERT_EQ(t.errors().size(), 1u);
  EXPECT_EQ(pick(t, get("/(")), "v1");
}

TEST(RouteTable, SelectionSurvivesMovingTheTable) {
  auto v = vs("reviews", {to("jason", "v2", {header_is("end-user", "jason")})});
  RouteTable built = table_of({&v});
  RouteTable moved = std::move(built);
  RouteTable copied = moved;
  EXPECT_EQ(pick(moved, get("/", {{"end-user", "jason"}})), "v2");
  EXPECT_EQ(pick(copied, get("/", {{"end-user", "jason"}})), "v2");
}

}  // namespace
}  // namespace zmesh::route
