// When the reflector tries the API server again: backoff with jitter and a cap, Retry-After
// on 429/5xx, an immediate re-list on a 410 unless it follows one, a token re-read on 401,
// never no wait.
#include <gtest/gtest.h>

#include "kube/retry_policy.h"

namespace zmesh::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(KubeBackoff, DoublesUpToTheCapWithJitterAndResets) {
  Backoff b(milliseconds(100), milliseconds(1000));
  EXPECT_EQ(b.next(0.5), milliseconds(100));
  EXPECT_EQ(b.next(0.5), milliseconds(200));
  EXPECT_EQ(b.next(0.5), milliseconds(400));
  EXPECT_EQ(b.next(0.5), milliseconds(800));
  EXPECT_EQ(b.next(0.5), milliseconds(1000));
  EXPECT_EQ(b.next(0.5), milliseconds(1000));
  EXPECT_EQ(b.failures(), 6u);
  // Jitter: 0.8x .. 1.2x of the step.
  EXPECT_EQ(b.next(0.0), milliseconds(800));
  EXPECT_EQ(b.next(0.999), milliseconds(1199));
  b.reset();
  EXPECT_EQ(b.next(0.5), milliseconds(100));
}

TEST(KubeRetryAfter, SecondsOrHttpDate) {
  auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(parse_retry_after("3", now), seconds(3));
  EXPECT_EQ(parse_retry_after(" 120 ", now), seconds(120));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), seconds(30));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), seconds(0));  // past
  for (const char* bad : {"", "-1", "soon", "3s", "Sun, 06 Nov 1994"})
    EXPECT_FALSE(parse_retry_after(bad, now).has_value()) << bad;
}

TEST(KubeRetryPlan, GoneRelistsAtOnceTheFirstTimeOnly) {
  Backoff b(milliseconds(100), milliseconds(1000));
  RetryPlan first = plan_retry(410, std::nullopt, b, 0.5);
  EXPECT_TRUE(first.relist);
  EXPECT_EQ(first.delay, milliseconds(0));
  RetryPlan again = plan_retry(410, std::nullopt, b, 0.5);  // 410 straight after a re-list
  EXPECT_TRUE(again.relist);
  EXPECT_GT(again.delay, milliseconds(0));
}

TEST(KubeRetryPlan, GoneAfterAnOutageRelistsAtOnce) {
  Backoff b(milliseconds(100), milliseconds(1000));
  for (int i = 0; i < 8; ++i) (void)plan_retry(0, std::nullopt, b, 0.5);       // connection refused
  EXPECT_EQ(plan_retry(503, std::nullopt, b, 0.5).delay, milliseconds(1000));  // starting up
  // The server is back and says the watch's resourceVersion is gone: list again now, not
  // after the outage's longest step.
  RetryPlan gone = plan_retry(410, std::nullopt, b, 0.5);
  EXPECT_TRUE(gone.relist);
  EXPECT_EQ(gone.delay, milliseconds(0));
  EXPECT_EQ(plan_retry(410, std::nullopt, b, 0.5).delay, milliseconds(1000));  // gone again
}

TEST(KubeRetryPlan, RetryAfterWinsOn429And5xxWithinBounds) {
  Backoff b(milliseconds(100), milliseconds(1000));
  EXPECT_EQ(plan_retry(429, seconds(7), b, 0.5).delay, milliseconds(7000));
  EXPECT_EQ(plan_retry(503, seconds(2), b, 0.5).delay, milliseconds(2000));
  EXPECT_EQ(plan_retry(429, seconds(0), b, 0.5).delay, milliseconds(200));  // never a loop
  EXPECT_EQ(plan_retry(429, seconds(3600), b, 0.5).delay, milliseconds(300'000));
  // Retry-After on other statuses is not the server asking us to slow down: backoff.
  b.reset();
  EXPECT_EQ(plan_retry(403, seconds(60), b, 0.5).delay, milliseconds(100));
}

TEST(KubeRetryPlan, EveryFailureWaitsAndGrows) {
  Backoff b(milliseconds(100), milliseconds(1000));
  milliseconds previous(0);
  for (unsigned status : {0u, 500u, 502u, 0u}) {
    RetryPlan p = plan_retry(status, std::nullopt, b, 0.5);
    EXPECT_FALSE(p.relist);
    EXPECT_GT(p.delay, previous) << status;
    previous = p.delay;
  }
  RetryPlan unauthorized = plan_retry(401, std::nullopt, b, 0.5);
  EXPECT_TRUE(unauthorized.refresh_token);
  EXPECT_GT(unauthorized.delay, milliseconds(0));
}

}  // namespace
}  // namespace zmesh::kube
