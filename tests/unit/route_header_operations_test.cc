// Headers.request/response set/add/remove on the route and on the picked destination, in the
// order Envoy runs Istio's translation; plus the header list they operate on.
#include <gtest/gtest.h>

#include "route/header_operations.h"
#include "route_test_request.h"

namespace zmesh::route {
namespace {

using F = HeaderList::Field;

TEST(RouteHeaderList, CaseInsensitiveNamesJoinedValues) {
  HeaderList h{{"Accept", "a"}, {"X-Id", "1"}, {"accept", "b"}};
  EXPECT_EQ(h.get("accept"), "a,b");
  EXPECT_EQ(h.get("x-id"), "1");
  EXPECT_EQ(h.get("missing"), std::nullopt);
  h.set("ACCEPT", "c");  // first field keeps its place and name, the other goes
  EXPECT_EQ(h, (HeaderList{{"Accept", "c"}, {"X-Id", "1"}}));
  EXPECT_EQ(h.remove("x-ID"), 1u);
  EXPECT_FALSE(h.contains("x-id"));
}

TEST(RouteHeaderOperations, SetAddRemove) {
  state::HeaderOperations ops;
  ops.set["x-env"] = "prod";
  ops.add["x-trace"] = "b";
  ops.remove = {"x-secret"};
  HeaderList h{{"X-Env", "dev"}, {"x-trace", "a"}, {"X-Secret", "1"}, {"x-secret", "2"}};
  const state::HeaderOperations* blocks[] = {&ops};
  apply_header_operations(h, blocks);
  EXPECT_EQ(h, (HeaderList{{"X-Env", "prod"}, {"x-trace", "a"}, {"x-trace", "b"}}));
}

TEST(RouteHeaderOperations, RemovesRunBeforeSetsAndAdds) {
  state::HeaderOperations ops;
  ops.remove = {"x-a"};
  ops.add["x-a"] = "new";
  ops.set["x-b"] = "set";
  ops.add["x-b"] = "added";
  HeaderList h{{"x-a", "old"}};
  const state::HeaderOperations* blocks[] = {&ops};
  apply_header_operations(h, blocks);
  // Istio emits a block's `set` entries before its `add` entries.
  EXPECT_EQ(h, (HeaderList{{"x-b", "set"}, {"x-a", "new"}, {"x-b", "added"}}));
}

TEST(RouteHeaderOperations, PseudoHeadersAndHostAreLeftAlone) {
  state::HeaderOperations ops;
  ops.set[":path"] = "/x";
  ops.set["Host"] = "other";
  ops.add[":authority"] = "other";
  ops.remove = {"host", ":method"};
  HeaderList h{{"host", "a"}};
  const state::HeaderOperations* blocks[] = {&ops};
  apply_header_operations(h, blocks);
  EXPECT_EQ(h, (HeaderList{{"host", "a"}}));
}

state::HttpRoute route_with(size_t destinations) {
  state::HttpRoute r;
  r.route.resize(destinations);
  r.headers.request.set["x-who"] = "route";
  r.headers.request.add["x-route"] = "1";
  r.route[0].headers.request.set["x-who"] = "destination";
  r.route[0].headers.request.remove = {"x-route"};
  r.headers.response.set["x-resp"] = "route";
  return r;
}

TEST(RouteHeaderOperations, SingleDestinationMergesRouteThenDestination) {
  HeaderList h{{"x-route", "orig"}};
  apply_route_header_operations(h, route_with(1), 0, HeaderDirection::kRequest);
  // One parser: every remove first, then route set/add, then destination set.
  EXPECT_EQ(h, (HeaderList{{"x-who", "destination"}, {"x-route", "1"}}));
}

TEST(RouteHeaderOperations, WeightedDestinationRunsBeforeTheRoute) {
  HeaderList h{{"x-route", "orig"}};
  apply_route_header_operations(h, route_with(2), 0, HeaderDirection::kRequest);
  EXPECT_EQ(h, (HeaderList{{"x-who", "route"}, {"x-route", "1"}}));
  HeaderList other;
  apply_route_header_operations(other, route_with(2), 1, HeaderDirection::kRequest);
  EXPECT_EQ(other, (HeaderList{{"x-who", "route"}, {"x-route", "1"}}));
}

TEST(RouteHeaderOperations, ResponseDirectionUsesResponseOperations) {
  HeaderList h;
  apply_route_header_operations(h, route_with(1), std::nullopt, HeaderDirection::kResponse);
  EXPECT_EQ(h, (HeaderList{{"x-resp", "route"}}));
}

}  // namespace
}  // namespace zmesh::route
