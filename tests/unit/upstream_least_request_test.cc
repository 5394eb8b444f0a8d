// LEAST_REQUEST: power of two choices with equal weights (the loaded endpoint is picked only
// when both samples hit it), Envoy's weight / (active + 1) EDF with unequal weights.
#include <gtest/gtest.h>

#include "upstream/least_request.h"
#include "upstream_test_endpoints.h"

namespace zmesh::upstream {
namespace {

using testing::equal;
using testing::tally;
using testing::weighted;

TEST(LeastRequest, TwoChoicesAvoidTheLoadedEndpoint) {
  LeastRequestBalancer lb(2024);
  auto eps = equal(10);
  eps[3].active_requests = 50;
  const int n = 20'000;
  auto counts = tally(lb, eps, n);
  // Picked only if both samples are it: 1% (uniform would be 10%).
  EXPECT_NEAR(counts[3], 0.01 * n, 0.005 * n);
  for (size_t i = 0; i < eps.size(); ++i) {
    if (i != 3) {
      EXPECT_NEAR(counts[i], 0.11 * n, 0.01 * n) << i;
    }
  }
}

TEST(LeastRequest, TwoEndpointsTheBusierGetsAQuarter) {
  LeastRequestBalancer lb(77);
  auto eps = equal(2);
  eps[0].active_requests = 5;
  const int n = 20'000;
  auto counts = tally(lb, eps, n);
  EXPECT_NEAR(counts[0], 0.25 * n, 0.015 * n);  // both samples must be endpoint 0
}

TEST(LeastRequest, EqualLoadSpreadsEvenly) {
  LeastRequestBalancer lb(5);
  auto eps = equal(4);
  const int n = 40'000;
  for (int c : tally(lb, eps, n)) EXPECT_NEAR(c, n / 4, 0.015 * n);
}

TEST(LeastRequest, UnequalWeightsIdleGiveExactShares) {
  LeastRequestBalancer lb(11);
  auto eps = weighted({1, 3});
  auto counts = tally(lb, eps, 4000);
  EXPECT_NEAR(counts[0], 1000, 2);
  EXPECT_NEAR(counts[1], 3000, 2);
}

TEST(LeastRequest, UnequalWeightsDividedByActiveRequests) {
  LeastRequestBalancer lb(13);
  auto eps = weighted({1, 2});
  eps[1].active_requests = 3;  // 2 / (3 + 1) = 0.5 against 1 / (0 + 1) = 1
  const int n = 30'000;
  auto counts = tally(lb, eps, n);
  EXPECT_NEAR(counts[0], 2.0 * n / 3, 0.01 * n);
}

TEST(LeastRequest, SkipsUnhealthy) {
  LeastRequestBalancer lb(1);
  auto eps = equal(3);
  eps[0].healthy = false;
  eps[2].healthy = false;
  EXPECT_EQ(tally(lb, eps, 50), (std::vector<int>{0, 50, 0}));
  eps[1].healthy = false;
  EXPECT_EQ(lb.pick(eps, std::nullopt).kind, Pick::Kind::kNoHealthyEndpoint);
}

}  // namespace
}  // namespace zmesh::upstream
