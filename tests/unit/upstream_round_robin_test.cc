// ROUND_ROBIN: weighted shares are exact over whole cycles, picks are spread (smooth), and
// unhealthy endpoints are skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>

#include "upstream/round_robin.h"
#include "upstream_test_endpoints.h"

namespace zmesh::upstream {
namespace {

using testing::equal;
using testing::tally;
using testing::weighted;

TEST(RoundRobin, EqualWeightsRotateThroughEveryEndpoint) {
  RoundRobinBalancer lb(1);
  auto eps = equal(3);
  // Any 3 consecutive picks cover all 3 endpoints.
  std::vector<size_t> seq;
  for (int i = 0; i < 9; ++i) seq.push_back(lb.pick(eps, std::nullopt).index);
  for (size_t start = 0; start + 3 <= seq.size(); ++start) {
    std::set<size_t> window(seq.begin() + start, seq.begin() + start + 3);
    EXPECT_EQ(window.size(), 3u) << "at " << start;
  }
}

TEST(RoundRobin, WeightsGiveExactSharesPerCycle) {
  RoundRobinBalancer lb(7);
  auto eps = weighted({1, 2, 3, 4});  // a cycle is 10 picks
  EXPECT_EQ(tally(lb, eps, 10'000), (std::vector<int>{1000, 2000, 3000, 4000}));
}

TEST(RoundRobin, SmoothNoBurstForTheHeavyEndpoint) {
  RoundRobinBalancer lb(3);
  auto eps = weighted({5, 1, 1});
  // Smooth WRR cycles a a b a c a a: a light endpoint never twice in a row, and the heavy one
  // at most 4 in a row (across two cycles); plain WRR would give a a a a a b c.
  int run = 0, longest = 0;
  size_t prev = SIZE_MAX;
  for (int i = 0; i < 70; ++i) {
    size_t idx = lb.pick(eps, std::nullopt).index;
    if (idx != 0) {
      EXPECT_NE(idx, prev) << "light endpoint picked twice in a row";
    }
    run = idx == 0 ? run + 1 : 0;
    longest = std::max(longest, run);
    prev = idx;
  }
  EXPECT_LE(longest, 4);
}

TEST(RoundRobin, SkipsUnhealthyAndReturnsNoneWhenAllAre) {
  RoundRobinBalancer lb(1);
  auto eps = equal(3);
  eps[1].healthy = false;
  auto counts = tally(lb, eps, 100);
  EXPECT_EQ(counts[1], 0);
  EXPECT_EQ(counts[0], 50);
  EXPECT_EQ(counts[2], 50);
  for (auto& e : eps) e.healthy = false;
  EXPECT_EQ(lb.pick(eps, std::nullopt).kind, Pick::Kind::kNoHealthyEndpoint);
}

TEST(RoundRobin, FollowsAChangedEndpointSet) {
  RoundRobinBalancer lb(1);
  auto eps = equal(2);
  tally(lb, eps, 5);
  eps = weighted({1, 1, 2});
  EXPECT_EQ(tally(lb, eps, 400), (std::vector<int>{100, 100, 200}));
}

}  // namespace
}  // namespace zmesh::upstream
