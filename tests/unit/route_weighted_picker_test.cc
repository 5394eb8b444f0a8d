// Destination weights as Istio means them: share = weight/sum, sums need not be 100, a lone
// destination gets everything, weight 0 gets nothing when there are others.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "route/weighted_picker.h"

namespace zmesh::route {
namespace {

std::vector<state::HttpRouteDestination> dests(std::vector<int32_t> weights) {
  std::vector<state::HttpRouteDestination> out;
  for (size_t i = 0; i < weights.size(); ++i) {
    state::HttpRouteDestination d;
    d.destination.host = "reviews";
    d.destination.subset = "v" + std::to_string(i + 1);
    d.weight = weights[i];
    out.push_back(d);
  }
  return out;
}

// How many of `draws` pseudo-random u64 draws (fixed seed) land on each destination.
std::vector<int> tally(const WeightedPicker& p, size_t n, int draws) {
  std::mt19937_64 rng(12345);
  std::vector<int> counts(n, 0);
  for (int i = 0; i < draws; ++i) {
    auto idx = p.pick(rng());
    EXPECT_TRUE(idx.has_value());
    if (idx) ++counts.at(*idx);
  }
  return counts;
}

TEST(RouteWeightedPicker, EightyTwentyOverManyDraws) {
  auto d = dests({80, 20});
  WeightedPicker p(d);
  auto counts = tally(p, 2, 100'000);
  EXPECT_NEAR(counts[0], 80'000, 600);  // ~4.7 standard deviations
  EXPECT_NEAR(counts[1], 20'000, 600);
  // Consecutive numbers walk the weights exactly: Envoy's random % total.
  int first = 0;
  for (uint64_t r = 0; r < 100'000; ++r) first += p.pick(r) == 0u;
  EXPECT_EQ(first, 80'000);
}

TEST(RouteWeightedPicker, WeightsNeedNotSumToHundred) {
  auto d = dests({1, 2});
  auto counts = tally(WeightedPicker(d), 2, 90'000);
  EXPECT_NEAR(counts[0], 30'000, 700);
  EXPECT_NEAR(counts[1], 60'000, 700);
  auto thirds = dests({30, 30, 30});
  WeightedPicker p(thirds);
  EXPECT_EQ(p.total_weight(), 90u);
  auto c = tally(p, 3, 90'000);
  for (int n : c) EXPECT_NEAR(n, 30'000, 700);
}

TEST(RouteWeightedPicker, ZeroWeightsAreDroppedWhenThereAreOthers) {
  auto d = dests({0, 50, 50});
  auto counts = tally(WeightedPicker(d), 3, 20'000);
  EXPECT_EQ(counts[0], 0);
  EXPECT_NEAR(counts[1], 10'000, 400);
  EXPECT_NEAR(counts[2], 10'000, 400);
}

TEST(RouteWeightedPicker, ASingleDestinationGetsEverythingWhateverItsWeight) {
  for (int32_t w : {0, 1, 30, 100}) {
    auto d = dests({w});
    WeightedPicker p(d);
    for (uint64_t r : {0ull, 1ull, 99ull, ~0ull}) EXPECT_EQ(p.pick(r), 0u) << w;
    EXPECT_EQ(p.pick_unit(0.999), 0u);
  }
}

TEST(RouteWeightedPicker, NothingToPick) {
  auto zeros = dests({0, 0});
  EXPECT_FALSE(WeightedPicker(zeros).pick(7).has_value());  // validation rejects this
  EXPECT_FALSE(WeightedPicker().pick(7).has_value());
  EXPECT_FALSE(WeightedPicker(zeros).pick_unit(0.5).has_value());
}

TEST(RouteWeightedPicker, UnitDrawsSplitAtTheWeightBoundary) {
  auto d = dests({80, 20});
  WeightedPicker p(d);
  EXPECT_EQ(p.pick_unit(0.0), 0u);
  EXPECT_EQ(p.pick_unit(0.7999), 0u);
  EXPECT_EQ(p.pick_unit(0.8), 1u);
  EXPECT_EQ(p.pick_unit(0.99999), 1u);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int second = 0;
  for (int i = 0; i < 100'000; ++i) second += p.pick_unit(unit(rng)) == 1u;
  EXPECT_NEAR(second, 20'000, 600);
}

}  // namespace
}  // namespace zmesh::route
