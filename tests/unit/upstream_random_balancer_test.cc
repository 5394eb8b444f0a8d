// RANDOM: shares follow weights within statistical tolerance; the seed makes it replayable.
#include <gtest/gtest.h>

#include "upstream/random_balancer.h"
#include "upstream_test_endpoints.h"

namespace zmesh::upstream {
namespace {

using testing::equal;
using testing::tally;
using testing::weighted;

TEST(RandomBalancer, SharesFollowWeights) {
  RandomBalancer lb(12345);
  auto eps = weighted({1, 3, 6});
  const int n = 100'000;
  auto counts = tally(lb, eps, n);
  // Expected 10% / 30% / 60%; 5 standard deviations is at most ~0.8% of n here.
  EXPECT_NEAR(counts[0], 0.1 * n, 0.008 * n);
  EXPECT_NEAR(counts[1], 0.3 * n, 0.008 * n);
  EXPECT_NEAR(counts[2], 0.6 * n, 0.008 * n);
}

TEST(RandomBalancer, ZeroWeightCountsAsOne) {
  RandomBalancer lb(9);
  auto eps = weighted({0, 1});
  auto counts = tally(lb, eps, 20'000);
  EXPECT_NEAR(counts[0], 10'000, 800);
}

TEST(RandomBalancer, SameSeedSameSequence) {
  RandomBalancer a(42), b(42), c(43);
  auto eps = equal(10);
  std::vector<size_t> sa, sb, sc;
  for (int i = 0; i < 50; ++i) {
    sa.push_back(a.pick(eps, std::nullopt).index);
    sb.push_back(b.pick(eps, std::nullopt).index);
    sc.push_back(c.pick(eps, std::nullopt).index);
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
}

TEST(RandomBalancer, NeverPicksUnhealthy) {
  RandomBalancer lb(5);
  auto eps = weighted({1, 100, 1});
  eps[1].healthy = false;
  auto counts = tally(lb, eps, 1000);
  EXPECT_EQ(counts[1], 0);
  EXPECT_EQ(counts[0] + counts[2], 1000);
}

}  // namespace
}  // namespace zmesh::upstream
