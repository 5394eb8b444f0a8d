// Outlier detection driven by a fake clock: consecutive 5xx and gateway errors, readmission
// after the ejection time, growing ejections, maxEjectionPercent, minHealthPercent (panic),
// split local-origin errors, and Istio's config defaults.
#include <gtest/gtest.h>

#include <vector>

#include "upstream/outlier_detector.h"

namespace zmesh::upstream {
namespace {

using namespace std::chrono_literals;

class FakeClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }
  void advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  TimePoint now_{std::chrono::hours(1)};
};

// A detector over endpoints with ids 1..n; max ejection 100% unless said otherwise.
struct Fixture {
  FakeClock clock;
  OutlierDetector detector;
  Fixture(size_t n, OutlierConfig config = with_max_percent(100)) : detector(config, clock) {
    std::vector<uint64_t> ids;
    for (size_t i = 0; i < n; ++i) ids.push_back(i + 1);
    detector.set_endpoints(ids);
  }
  static OutlierConfig with_max_percent(uint32_t p) {
    OutlierConfig c;
    c.max_ejection_percent = p;
    return c;
  }
  void fail(size_t endpoint, int times, uint32_t status = 500) {
    for (int i = 0; i < times; ++i) detector.record_response(endpoint, status);
  }
  void at(std::chrono::milliseconds d) {  // advance, then run the interval sweep
    clock.advance(d);
    detector.sweep();
  }
};

TEST(OutlierConfig, IstioDefaultsAndOverrides) {
  EXPECT_FALSE(outlier_config(std::nullopt).has_value());
  auto d = outlier_config(state::OutlierDetection{});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->consecutive_5xx, 5u);
  EXPECT_EQ(d->consecutive_gateway_errors, 0u);
  EXPECT_EQ(d->interval, 10s);
  EXPECT_EQ(d->base_ejection_time, 30s);
  EXPECT_EQ(d->max_ejection_time, 300s);
  EXPECT_EQ(d->max_ejection_percent, 10u);
  EXPECT_EQ(d->min_health_percent, 0u);

  state::OutlierDetection od;
  od.consecutive_5xx_errors = 0;  // explicit 0 disables
  od.consecutive_gateway_errors = 2;
  od.max_ejection_percent = 0;  // Istio passes only > 0: Envoy's 10 stays
  od.base_ejection_time = 400s;
  od.min_health_percent = 50;
  d = outlier_config(od);
  EXPECT_EQ(d->consecutive_5xx, 0u);
  EXPECT_EQ(d->consecutive_gateway_errors, 2u);
  EXPECT_EQ(d->max_ejection_percent, 10u);
  EXPECT_EQ(d->max_ejection_time, 400s);  // never below the base time
  EXPECT_EQ(d->min_health_percent, 50u);
}

TEST(OutlierDetector, EjectsOnTheFifthConsecutive5xx) {
  Fixture f(4);
  f.fail(0, 4);
  f.detector.record_response(0, 200);  // a success ends the run
  f.fail(0, 4);
  EXPECT_FALSE(f.detector.ejected(0));
  f.fail(0, 1, 503);  // gateway errors are 5xx too
  EXPECT_TRUE(f.detector.ejected(0));
  EXPECT_FALSE(f.detector.usable(0));
  EXPECT_TRUE(f.detector.usable(1));
  EXPECT_EQ(f.detector.ejected_count(), 1u);
}

TEST(OutlierDetector, GatewayErrorsAndConnectFailures) {
  OutlierConfig c = Fixture::with_max_percent(100);
  c.consecutive_5xx = 0;
  c.consecutive_gateway_errors = 3;
  Fixture f(2, c);
  f.fail(0, 2, 502);
  f.fail(0, 1, 500);  // a 5xx that is not a gateway error ends the gateway run
  f.fail(0, 2, 504);
  EXPECT_FALSE(f.detector.ejected(0));
  f.detector.record_local_origin(0, LocalOrigin::kConnectFailed);  // counts as 503
  EXPECT_TRUE(f.detector.ejected(0));
  f.detector.record_local_origin(1, LocalOrigin::kTimeout);
  f.detector.record_local_origin(1, LocalOrigin::kConnectSuccess);  // no verdict
  f.detector.record_local_origin(1, LocalOrigin::kTimeout);
  f.fail(1, 1, 503);
  EXPECT_TRUE(f.detector.ejected(1));
}

TEST(OutlierDetector, ReadmittedAtTheFirstSweepAfterTheEjectionTime) {
  Fixture f(2);
  f.fail(0, 5);
  f.at(10s);
  f.at(10s);
  EXPECT_TRUE(f.detector.ejected(0));  // 20 s of 30
  f.at(10s);
  EXPECT_FALSE(f.detector.ejected(0));
  EXPECT_TRUE(f.detector.usable(0));
  f.fail(0, 4);  // runs restarted on readmission
  EXPECT_FALSE(f.detector.ejected(0));
}

TEST(OutlierDetector, EjectionTimeGrowsWithEjectionsAndDecaysWhenHealthy) {
  Fixture f(2);
  f.fail(0, 5);
  EXPECT_EQ(f.detector.multiplier(0), 1u);
  f.at(30s);
  ASSERT_FALSE(f.detector.ejected(0));
  f.fail(0, 5);  // ejected again straight away: 2 x 30 s
  EXPECT_EQ(f.detector.multiplier(0), 2u);
  f.at(30s);
  EXPECT_TRUE(f.detector.ejected(0));
  f.at(30s);
  EXPECT_FALSE(f.detector.ejected(0));
  // One interval healthy after readmission takes one step off the multiplier.
  f.at(10s);
  EXPECT_EQ(f.detector.multiplier(0), 1u);
  f.at(10s);
  EXPECT_EQ(f.detector.multiplier(0), 0u);
}

TEST(OutlierDetector, EjectionTimeStopsAtTheMaximum) {
  OutlierConfig c = Fixture::with_max_percent(100);
  c.base_ejection_time = 100s;  // max stays 300 s
  Fixture f(2, c);
  for (int i = 0; i < 6; ++i) {
    f.fail(0, 5);
    ASSERT_TRUE(f.detector.ejected(0));
    f.at(300s);
    ASSERT_FALSE(f.detector.ejected(0)) << "ejection " << i << " outlasted 300 s";
  }
}

TEST(OutlierDetector, MaxEjectionPercentCapsEjections) {
  Fixture f(4, Fixture::with_max_percent(50));
  for (size_t i = 0; i < 4; ++i) f.fail(i, 5);
  EXPECT_EQ(f.detector.ejected_count(), 2u);
  EXPECT_FALSE(f.detector.ejected(2));
  EXPECT_FALSE(f.detector.ejected(3));
}

TEST(OutlierDetector, DefaultTenPercentEjectsNothingBelowTenEndpoints) {
  Fixture small(5, OutlierConfig{});  // 1 of 5 is 20% > 10%, as in Envoy
  small.fail(0, 5);
  EXPECT_FALSE(small.detector.ejected(0));
  Fixture big(10, OutlierConfig{});
  big.fail(0, 5);
  big.fail(1, 5);
  EXPECT_TRUE(big.detector.ejected(0));
  EXPECT_FALSE(big.detector.ejected(1));
}

TEST(OutlierDetector, BelowMinHealthPercentEveryEndpointIsUsable) {
  OutlierConfig c = Fixture::with_max_percent(100);
  c.min_health_percent = 60;
  Fixture f(4, c);
  f.fail(0, 5);  // 75% healthy: no panic
  EXPECT_FALSE(f.detector.panic());
  EXPECT_FALSE(f.detector.usable(0));
  f.fail(1, 5);  // 50% < 60%: panic, ejections ignored
  EXPECT_TRUE(f.detector.panic());
  for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(f.detector.usable(i)) << i;
  EXPECT_TRUE(f.detector.ejected(1));
}

TEST(OutlierDetector, ZeroMinHealthPercentNeverPanics) {
  Fixture f(2);
  f.fail(0, 5);
  f.fail(1, 5);
  EXPECT_FALSE(f.detector.panic());
  EXPECT_FALSE(f.detector.usable(0));
  EXPECT_FALSE(f.detector.usable(1));
}

TEST(OutlierDetector, SplitLocalOriginErrorsCountApart) {
  OutlierConfig c = Fixture::with_max_percent(100);
  c.split_local_origin = true;
  c.consecutive_local_origin_failures = 3;
  Fixture f(2, c);
  for (int i = 0; i < 10; ++i) {
    f.detector.record_local_origin(0, LocalOrigin::kConnectFailed);
    f.detector.record_local_origin(0, LocalOrigin::kConnectFailed);
    f.detector.record_local_origin(0, LocalOrigin::kConnectSuccess);  // resets the run
  }
  f.fail(0, 4);  // 5xx run untouched by connect failures
  EXPECT_FALSE(f.detector.ejected(0));
  for (int i = 0; i < 3; ++i) f.detector.record_local_origin(1, LocalOrigin::kTimeout);
  EXPECT_TRUE(f.detector.ejected(1));
}

TEST(OutlierDetector, EndpointStateSurvivesASetChange) {
  Fixture f(3);
  f.fail(1, 5);
  f.fail(2, 3);
  std::vector<uint64_t> ids = {3, 2, 9};  // 1 gone, 9 new; 2 ejected, 3 three errors in
  f.detector.set_endpoints(ids);
  EXPECT_EQ(f.detector.size(), 3u);
  EXPECT_TRUE(f.detector.ejected(1));
  EXPECT_EQ(f.detector.ejected_count(), 1u);
  f.fail(0, 2);
  EXPECT_TRUE(f.detector.ejected(0));
  EXPECT_FALSE(f.detector.ejected(2));
}

TEST(OutlierDetector, SweepIfDueWaitsForTheInterval) {
  Fixture f(2);
  f.fail(0, 5);
  f.clock.advance(25s);
  f.detector.sweep_if_due();  // a sweep (25 s > 10 s), too early to readmit
  EXPECT_TRUE(f.detector.ejected(0));
  f.clock.advance(6s);
  f.detector.sweep_if_due();  // ejection over, but only 6 s since the last sweep
  EXPECT_TRUE(f.detector.ejected(0));
  f.clock.advance(4s);
  f.detector.sweep_if_due();
  EXPECT_FALSE(f.detector.ejected(0));
}

}  // namespace
}  // namespace zmesh::upstream
