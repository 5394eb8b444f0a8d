// Circuit breakers: Istio's defaults, overflow at the limit, release, RAII slots, limit
// changes, and the limit holding under concurrent workers.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "upstream/circuit_breaker.h"

namespace zmesh::upstream {
namespace {

TEST(CircuitBreakerLimits, IstioDefaultsAndZeroAsUnset) {
  EXPECT_EQ(circuit_breaker_limits(std::nullopt), CircuitBreakerLimits{});
  EXPECT_EQ(CircuitBreakerLimits{}.max_connections, 4294967295u);
  EXPECT_EQ(CircuitBreakerLimits{}.max_retries, 4294967295u);

  state::ConnectionPoolSettings pool;
  pool.tcp.emplace().max_connections = 100;
  auto& http = pool.http.emplace();
  http.http1_max_pending_requests = 0;  // 0 counts as unset
  http.http2_max_requests = 50;
  http.max_retries = -1;
  http.max_requests_per_connection = 1;
  auto limits = circuit_breaker_limits(pool);
  EXPECT_EQ(limits.max_connections, 100u);
  EXPECT_EQ(limits.max_pending_requests, kUnlimited);
  EXPECT_EQ(limits.max_requests, 50u);
  EXPECT_EQ(limits.max_retries, kUnlimited);
  EXPECT_TRUE(limits.connection_reusable(0));
  EXPECT_FALSE(limits.connection_reusable(1));  // 1 disables keep-alive
  EXPECT_TRUE(CircuitBreakerLimits{}.connection_reusable(1'000'000));
}

TEST(CircuitBreaker, OverflowAtTheLimitAndReleaseMakesRoom) {
  CircuitBreakerLimits limits;
  limits.max_pending_requests = 2;
  CircuitBreaker cb(limits);
  EXPECT_EQ(cb.try_acquire(Resource::kPendingRequests), Admission::kAdmitted);
  EXPECT_EQ(cb.try_acquire(Resource::kPendingRequests), Admission::kAdmitted);
  EXPECT_EQ(cb.try_acquire(Resource::kPendingRequests), Admission::kOverflow);
  EXPECT_EQ(cb.active(Resource::kPendingRequests), 2u);  // the refusal took nothing
  // Other resources are counted apart.
  EXPECT_EQ(cb.try_acquire(Resource::kRequests), Admission::kAdmitted);
  cb.release(Resource::kPendingRequests);
  EXPECT_EQ(cb.try_acquire(Resource::kPendingRequests), Admission::kAdmitted);
  EXPECT_EQ(cb.try_acquire(Resource::kPendingRequests), Admission::kOverflow);
}

TEST(CircuitBreaker, SlotReleasesOnScopeExitAndMove) {
  CircuitBreakerLimits limits;
  limits.max_connections = 1;
  CircuitBreaker cb(limits);
  {
    auto slot = BreakerSlot::acquire(cb, Resource::kConnections);
    ASSERT_TRUE(slot);
    EXPECT_FALSE(BreakerSlot::acquire(cb, Resource::kConnections));
    BreakerSlot moved = std::move(slot);
    EXPECT_EQ(cb.active(Resource::kConnections), 1u);
  }
  EXPECT_EQ(cb.active(Resource::kConnections), 0u);
  EXPECT_TRUE(BreakerSlot::acquire(cb, Resource::kConnections));
}

TEST(CircuitBreaker, LoweredLimitKeepsHoldersAndRefusesNewcomers) {
  CircuitBreaker cb;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(cb.try_acquire(Resource::kRetries), Admission::kAdmitted);
  CircuitBreakerLimits limits;
  limits.max_retries = 2;
  cb.set_limits(limits);
  EXPECT_EQ(cb.active(Resource::kRetries), 3u);
  EXPECT_EQ(cb.try_acquire(Resource::kRetries), Admission::kOverflow);
  cb.release(Resource::kRetries);
  cb.release(Resource::kRetries);
  EXPECT_EQ(cb.try_acquire(Resource::kRetries), Admission::kAdmitted);
}

TEST(CircuitBreaker, LimitHoldsAcrossThreads) {
  CircuitBreakerLimits limits;
  limits.max_requests = 5;
  CircuitBreaker cb(limits);
  std::atomic<int> held{0}, peak{0}, admitted{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < 20'000; ++i) {
        if (cb.try_acquire(Resource::kRequests) != Admission::kAdmitted) continue;
        int now = ++held;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        ++admitted;
        --held;
        cb.release(Resource::kRequests);
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_LE(peak.load(), 5);
  EXPECT_GT(admitted.load(), 0);
  EXPECT_EQ(cb.active(Resource::kRequests), 0u);
}

}  // namespace
}  // namespace zmesh::upstream
