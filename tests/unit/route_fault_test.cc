// Fault injection shares: `percentage` (a double) wins, the deprecated `percent` counts only
// without it, neither means nothing for a delay, an abort without percentage aborts nothing;
// statistics over many deterministic draws; gRPC aborts.
#include <gtest/gtest.h>

#include <random>

#include "route/fault.h"
#include "route/local_reply.h"

namespace zmesh::route {
namespace {

using std::chrono::milliseconds;
using Delay = state::HttpFaultInjection::Delay;
using Abort = state::HttpFaultInjection::Abort;

state::HttpFaultInjection delay(std::optional<double> percentage, std::optional<int32_t> percent) {
  state::HttpFaultInjection f;
  f.delay = Delay{milliseconds(5000), percentage, percent};
  return f;
}

state::HttpFaultInjection http_abort(int32_t status, std::optional<double> percentage) {
  state::HttpFaultInjection f;
  f.abort = Abort{Abort::Kind::kHttpStatus, status, "", percentage};
  return f;
}

// Share of `draws` seeded random requests that get a delay / an abort.
double delayed_share(const state::HttpFaultInjection& f, int draws = 200'000) {
  std::mt19937_64 rng(2024);
  int hits = 0;
  for (int i = 0; i < draws; ++i) hits += fault_delay(f, rng()).has_value();
  return 100.0 * hits / draws;
}

double aborted_share(const state::HttpFaultInjection& f, int draws = 200'000) {
  std::mt19937_64 rng(4048);
  int hits = 0;
  for (int i = 0; i < draws; ++i) hits += fault_abort(f, rng()).has_value();
  return 100.0 * hits / draws;
}

TEST(RouteFaultFraction, PercentagePrecedenceAndIstioConversion) {
  EXPECT_EQ(delay_fraction(*delay(10.5, std::nullopt).delay), (FractionalPercent{105000, 1000000}));
  EXPECT_EQ(delay_fraction(*delay(std::nullopt, 30).delay), (FractionalPercent{30, 100}));
  EXPECT_EQ(delay_fraction(*delay(5, 90).delay), (FractionalPercent{50000, 1000000}));
  EXPECT_EQ(delay_fraction(*delay(0, 90).delay).numerator, 0u);  // explicit 0 still wins
  EXPECT_EQ(delay_fraction(*delay(std::nullopt, std::nullopt).delay).numerator, 0u);
  EXPECT_EQ(abort_fraction(*http_abort(503, std::nullopt).abort).numerator, 0u);
  // Go's uint32(value * 10000) truncates: 0.57 * 10000 is 5699.999999999999.
  EXPECT_EQ(from_percentage(0.57).numerator, 5699u);
  EXPECT_EQ(from_percentage(0.0001).numerator, 1u);
  EXPECT_EQ(from_percentage(100).numerator, 1000000u);
}

TEST(RouteFaultDelay, SharesOverManyDraws) {
  EXPECT_NEAR(delayed_share(delay(25, std::nullopt)), 25.0, 0.5);
  EXPECT_NEAR(delayed_share(delay(std::nullopt, 40)), 40.0, 0.5);  // deprecated percent
  EXPECT_NEAR(delayed_share(delay(5, 90)), 5.0, 0.3);              // percentage wins
  EXPECT_NEAR(delayed_share(delay(0.5, std::nullopt)), 0.5, 0.1);
  EXPECT_EQ(delayed_share(delay(std::nullopt, std::nullopt)), 0.0);
  EXPECT_EQ(delayed_share(delay(100, std::nullopt)), 100.0);
  EXPECT_EQ(delayed_share(delay(0, std::nullopt)), 0.0);
}

TEST(RouteFaultDelay, ExactOverConsecutiveDrawsAndTheDelayItself) {
  auto f = delay(12.5, std::nullopt);
  int hits = 0;
  for (uint64_t r = 0; r < 1'000'000; ++r) hits += fault_delay(f, r).has_value();
  EXPECT_EQ(hits, 125'000);
  EXPECT_EQ(fault_delay(f, 0), milliseconds(5000));
  state::HttpFaultInjection no_fixed;
  no_fixed.delay = Delay{std::nullopt, 100.0, std::nullopt};
  EXPECT_FALSE(fault_delay(no_fixed, 0));
}

TEST(RouteFaultAbort, HttpStatusShares) {
  EXPECT_NEAR(aborted_share(http_abort(503, 50)), 50.0, 0.5);
  EXPECT_NEAR(aborted_share(http_abort(503, 33.3)), 33.3, 0.5);
  EXPECT_EQ(aborted_share(http_abort(503, std::nullopt)), 0.0);
  auto a = fault_abort(http_abort(418, 100), 7);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->http_status, 418u);
  EXPECT_FALSE(a->grpc_status);
  state::HttpFaultInjection unset;
  unset.abort = Abort{};
  unset.abort->percentage = 100;
  EXPECT_FALSE(fault_abort(unset, 0));
}

TEST(RouteFaultAbort, GrpcStatusIsATrailersOnlyOk) {
  state::HttpFaultInjection f;
  f.abort = Abort{Abort::Kind::kGrpcStatus, 0, "UNAVAILABLE", 100.0};
  auto a = fault_abort(f, 123);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->http_status, 200u);
  EXPECT_EQ(a->grpc_status, 14u);
  LocalReply r = local_reply(a->http_status, "fault filter abort", true, a->grpc_status);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers.get("grpc-status"), "14");
  EXPECT_EQ(r.headers.get("grpc-message"), "fault filter abort");
  f.abort->grpc_status = "NOT_A_CODE";
  EXPECT_FALSE(fault_abort(f, 123));
}

}  // namespace
}  // namespace zmesh::route
