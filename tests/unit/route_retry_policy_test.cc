// Retries as Istio configures Envoy: the default policy when `retries` is unset, how retryOn
// is parsed, which outcomes each token retries, and the jittered backoff between attempts.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "route/retry_backoff.h"
#include "route/retry_policy.h"

namespace zmesh::route {
namespace {

using std::chrono::milliseconds;
using Kind = AttemptOutcome::Kind;

state::HttpRetry retries(int32_t attempts, std::string retry_on = "") {
  state::HttpRetry r;
  r.attempts = attempts;
  r.retry_on = std::move(retry_on);
  return r;
}

TEST(RouteRetryPolicy, IstioDefaultWhenUnset) {
  auto p = effective_retry_policy(std::nullopt);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->num_retries, 2u);
  EXPECT_EQ(p->retry_on, kRetryOnConnectFailure | kRetryOnRefusedStream | kRetryOnGrpcUnavailable |
                             kRetryOnGrpcCancelled | kRetryOnRetriableStatusCodes);
  EXPECT_TRUE(p->retriable_status_codes.empty());  // 503 not retried by default since 1.24
  EXPECT_TRUE(p->retry_ignore_previous_hosts);
  EXPECT_EQ(p->backoff_base, milliseconds(25));
  EXPECT_EQ(p->host_selection_retry_max_attempts, 5u);
  EXPECT_FALSE(p->per_try_timeout);
  EXPECT_FALSE(
      effective_retry_policy(std::nullopt, std::nullopt, true)->retry_ignore_previous_hosts);
}

TEST(RouteRetryPolicy, RouteOverridesMeshDefaultOverridesIstioDefault) {
  auto mesh = retries(5, "5xx");
  EXPECT_EQ(effective_retry_policy(std::nullopt, mesh)->num_retries, 5u);
  EXPECT_EQ(effective_retry_policy(std::nullopt, mesh)->retry_on, kRetryOn5xx);
  auto route = retries(1, "reset");
  EXPECT_EQ(effective_retry_policy(route, mesh)->num_retries, 1u);
  EXPECT_EQ(effective_retry_policy(route, mesh)->retry_on, kRetryOnReset);
}

TEST(RouteRetryPolicy, ZeroAttemptsDisablesRetries) {
  EXPECT_FALSE(effective_retry_policy(retries(0, "5xx")));
  EXPECT_FALSE(effective_retry_policy(std::nullopt, retries(0)));
}

TEST(RouteRetryPolicy, UnsetFieldsKeepTheDefaults) {
  auto p = effective_retry_policy(retries(3));
  EXPECT_EQ(p->num_retries, 3u);
  EXPECT_EQ(p->retry_on, default_retry_policy().retry_on);  // empty retryOn: default retryOn
  state::HttpRetry full = retries(4, "gateway-error");
  full.per_try_timeout = milliseconds(1500);
  full.backoff = milliseconds(100);
  full.retry_ignore_previous_hosts = false;
  full.retry_remote_localities = true;
  auto f = effective_retry_policy(full, std::nullopt, true);
  EXPECT_EQ(f->per_try_timeout, milliseconds(1500));
  EXPECT_EQ(f->backoff_base, milliseconds(100));
  EXPECT_FALSE(f->retry_ignore_previous_hosts);
  EXPECT_TRUE(f->retry_remote_localities);
  full.retry_ignore_previous_hosts = true;  // explicit true beats consistent hashing
  EXPECT_TRUE(effective_retry_policy(full, std::nullopt, true)->retry_ignore_previous_hosts);
}

TEST(RouteRetryPolicy, StatusCodeTokensBecomeRetriableStatusCodes) {
  RetryPolicy p;
  parse_retry_on("gateway-error, 503 ,429,,unavailable", p);
  EXPECT_EQ(p.retry_on,
            kRetryOnGatewayError | kRetryOnGrpcUnavailable | kRetryOnRetriableStatusCodes);
  EXPECT_EQ(p.retriable_status_codes, (std::vector<uint32_t>{503, 429}));
  parse_retry_on("999", p);  // not a status Go knows: an (unknown) token
  EXPECT_EQ(p.retry_on, 0u);
  EXPECT_TRUE(p.retriable_status_codes.empty());
}

AttemptOutcome response(uint32_t status, std::optional<uint32_t> grpc = std::nullopt) {
  AttemptOutcome o;
  o.status = status;
  o.grpc_status = grpc;
  return o;
}

AttemptOutcome failure(Kind kind, bool started = true) {
  AttemptOutcome o;
  o.kind = kind;
  o.request_started = started;
  return o;
}

AttemptOutcome rate_limited(uint32_t status) {
  AttemptOutcome o = response(status);
  o.rate_limited = true;
  return o;
}

struct Row {
  const char* what;
  AttemptOutcome outcome;
  bool want;
};

void expect_token(const std::string& retry_on, const std::vector<Row>& rows) {
  auto p = effective_retry_policy(retries(2, retry_on));
  ASSERT_TRUE(p);
  for (const Row& row : rows) {
    EXPECT_EQ(should_retry(*p, row.outcome), row.want) << retry_on << ": " << row.what;
  }
}

TEST(RouteShouldRetry, PerToken) {
  expect_token("5xx", {{"500", response(500), true},
                       {"503", response(503), true},
                       {"599", response(599), true},
                       {"404", response(404), false},
                       {"200", response(200), false},
                       {"reset", failure(Kind::kReset), true},
                       {"connect failure", failure(Kind::kConnectFailure), true},
                       {"per-try timeout", failure(Kind::kPerTryTimeout), true},
                       {"refused stream", failure(Kind::kRefusedStream), true},
                       {"overflow", failure(Kind::kOverflow), false},
                       {"rate limited 503", rate_limited(503), false}});
  expect_token("gateway-error", {{"502", response(502), true},
                                 {"503", response(503), true},
                                 {"504", response(504), true},
                                 {"500", response(500), false},
                                 {"reset", failure(Kind::kReset), true},
                                 {"per-try timeout", failure(Kind::kPerTryTimeout), true}});
  expect_token("reset", {{"reset", failure(Kind::kReset), true},
                         {"connect failure", failure(Kind::kConnectFailure), true},
                         {"503", response(503), false}});
  expect_token("reset-before-request",
               {{"reset before request bytes", failure(Kind::kReset, false), true},
                {"reset after request bytes", failure(Kind::kReset, true), false},
                {"connect failure", failure(Kind::kConnectFailure), true},
                {"per-try timeout", failure(Kind::kPerTryTimeout), false},
                {"503", response(503), false}});
  expect_token("connect-failure", {{"connect failure", failure(Kind::kConnectFailure), true},
                                   {"reset", failure(Kind::kReset), false},
                                   {"per-try timeout", failure(Kind::kPerTryTimeout), false},
                                   {"503", response(503), false}});
  expect_token("retriable-4xx", {{"409", response(409), true}, {"404", response(404), false}});
  expect_token("refused-stream", {{"refused", failure(Kind::kRefusedStream), true},
                                  {"reset", failure(Kind::kReset), false}});
  expect_token("retriable-status-codes", {{"no codes listed", response(503), false}});
  expect_token("retriable-status-codes,503",
               {{"503", response(503), true}, {"502", response(502), false}});
  expect_token("503", {{"bare code", response(503), true}, {"500", response(500), false}});
  expect_token("retriable-headers", {{"no headers configurable", response(503), false},
                                     {"reset", failure(Kind::kReset), false}});
  expect_token("envoy-ratelimited",
               {{"rate limited", rate_limited(429), true}, {"plain 429", response(429), false}});
  expect_token("cancelled",
               {{"grpc 1", response(200, 1), true}, {"grpc 14", response(200, 14), false}});
  expect_token("deadline-exceeded",
               {{"grpc 4", response(200, 4), true}, {"grpc 1", response(200, 1), false}});
  expect_token("internal",
               {{"grpc 13", response(200, 13), true}, {"grpc 2", response(200, 2), false}});
  expect_token("resource-exhausted",
               {{"grpc 8", response(200, 8), true}, {"grpc 14", response(200, 14), false}});
  expect_token("unavailable", {{"grpc 14", response(200, 14), true},
                               {"http 503 without grpc-status", response(503), false}});
}

TEST(RouteShouldRetry, DefaultPolicy) {
  RetryPolicy p = *effective_retry_policy(std::nullopt);
  EXPECT_TRUE(should_retry(p, failure(Kind::kConnectFailure)));
  EXPECT_TRUE(should_retry(p, failure(Kind::kRefusedStream)));
  EXPECT_TRUE(should_retry(p, response(200, 14)));
  EXPECT_TRUE(should_retry(p, response(200, 1)));
  EXPECT_FALSE(should_retry(p, response(503)));
  EXPECT_FALSE(should_retry(p, failure(Kind::kReset)));
  EXPECT_FALSE(should_retry(p, failure(Kind::kPerTryTimeout)));
  EXPECT_TRUE(retries_left(p, 1));
  EXPECT_FALSE(retries_left(p, 2));  // 1 + 2 attempts in all
}

TEST(RouteRetryBackoff, IntervalsDoubleUpToTenTimesTheBase) {
  std::vector<int64_t> got;
  for (uint32_t n = 1; n <= 7; ++n) got.push_back(backoff_interval(milliseconds(25), n).count());
  EXPECT_EQ(got, (std::vector<int64_t>{25, 50, 100, 200, 250, 250, 250}));
  got.clear();
  for (uint32_t n = 1; n <= 6; ++n) got.push_back(backoff_interval(milliseconds(30), n).count());
  EXPECT_EQ(got, (std::vector<int64_t>{30, 60, 120, 240, 300, 300}));
}

TEST(RouteRetryBackoff, FullJitterBelowTheInterval) {
  EXPECT_EQ(retry_backoff(milliseconds(25), 1, 0), milliseconds(0));
  EXPECT_EQ(retry_backoff(milliseconds(25), 1, 24), milliseconds(24));
  EXPECT_EQ(retry_backoff(milliseconds(25), 1, 25), milliseconds(0));
  EXPECT_EQ(retry_backoff(milliseconds(25), 3, 99), milliseconds(99));
  std::mt19937_64 rng(99);
  double sum = 0;
  int64_t max = 0;
  const int n = 100'000;
  for (int i = 0; i < n; ++i) {
    int64_t ms = retry_backoff(milliseconds(25), 2, rng()).count();
    sum += static_cast<double>(ms);
    max = std::max(max, ms);
  }
  EXPECT_EQ(max, 49);               // uniform over [0, 50)
  EXPECT_NEAR(sum / n, 24.5, 0.3);  // its mean
}

}  // namespace
}  // namespace zmesh::route
