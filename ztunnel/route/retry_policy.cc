#include "route/retry_policy.h"

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <utility>

#include "state/http_codes.h"

namespace zmesh::route {
namespace {

constexpr std::string_view kDefaultRetryOn =
    "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

uint32_t retry_on_bit(std::string_view token) {
  static constexpr std::array<std::pair<std::string_view, uint32_t>, 16> kTokens = {{
      {"5xx", kRetryOn5xx},
      {"gateway-error", kRetryOnGatewayError},
      {"reset", kRetryOnReset},
      {"reset-before-request", kRetryOnResetBeforeRequest},
      {"connect-failure", kRetryOnConnectFailure},
      {"envoy-ratelimited", kRetryOnEnvoyRateLimited},
      {"retriable-4xx", kRetryOnRetriable4xx},
      {"refused-stream", kRetryOnRefusedStream},
      {"retriable-status-codes", kRetryOnRetriableStatusCodes},
      {"retriable-headers", kRetryOnRetriableHeaders},
      {"http3-post-connect-failure", kRetryOnHttp3PostConnectFailure},
      {"cancelled", kRetryOnGrpcCancelled},
      {"deadline-exceeded", kRetryOnGrpcDeadlineExceeded},
      {"internal", kRetryOnGrpcInternal},
      {"resource-exhausted", kRetryOnGrpcResourceExhausted},
      {"unavailable", kRetryOnGrpcUnavailable},
  }};
  for (const auto& [name, bit] : kTokens) {
    if (name == token) return bit;
  }
  return 0;  // unknown tokens are rejected by validation; Envoy would ignore them
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

void parse_retry_on(std::string_view retry_on, RetryPolicy& policy) {
  policy.retry_on = 0;
  policy.retriable_status_codes.clear();
  while (true) {
    size_t comma = retry_on.find(',');
    std::string_view token = trim(retry_on.substr(0, comma));
    if (!token.empty()) {
      const bool digits = token.size() <= 3 && std::all_of(token.begin(), token.end(), [](char c) {
                            return c >= '0' && c <= '9';
                          });
      if (digits && state::known_http_status(std::stoi(std::string(token)))) {
        policy.retriable_status_codes.push_back(
            static_cast<uint32_t>(std::stoi(std::string(token))));
      } else {
        policy.retry_on |= retry_on_bit(token);
      }
    }
    if (comma == std::string_view::npos) break;
    retry_on.remove_prefix(comma + 1);
  }
  if (!policy.retriable_status_codes.empty()) policy.retry_on |= kRetryOnRetriableStatusCodes;
}

RetryPolicy default_retry_policy(bool consistent_hash) {
  RetryPolicy p;
  p.num_retries = 2;
  parse_retry_on(kDefaultRetryOn, p);
  p.retry_ignore_previous_hosts = !consistent_hash;
  return p;
}

std::optional<RetryPolicy> effective_retry_policy(
    const std::optional<state::HttpRetry>& route_retries,
    const std::optional<state::HttpRetry>& mesh_default, bool consistent_hash) {
  RetryPolicy out = default_retry_policy(consistent_hash);
  const std::optional<state::HttpRetry>& in = route_retries ? route_retries : mesh_default;
  if (!in) return out;
  if (in->attempts <= 0) return std::nullopt;
  out.num_retries = static_cast<uint32_t>(in->attempts);
  if (!in->retry_on.empty()) parse_retry_on(in->retry_on, out);
  if (in->per_try_timeout) out.per_try_timeout = *in->per_try_timeout;
  if (in->retry_ignore_previous_hosts)
    out.retry_ignore_previous_hosts = *in->retry_ignore_previous_hosts;
  if (in->retry_remote_localities) out.retry_remote_localities = *in->retry_remote_localities;
  if (in->backoff) out.backoff_base = *in->backoff;
  return out;
}

bool should_retry(const RetryPolicy& policy, const AttemptOutcome& outcome) {
  const uint32_t on = policy.retry_on;
  using Kind = AttemptOutcome::Kind;
  switch (outcome.kind) {
    case Kind::kResponse: {
      // An upstream Envoy's rate limit is retried only under envoy-ratelimited, whatever
      // else is configured.
      if (outcome.rate_limited) return (on & kRetryOnEnvoyRateLimited) != 0;
      const uint32_t s = outcome.status;
      if ((on & kRetryOn5xx) && s >= 500 && s < 600) return true;
      if ((on & kRetryOnGatewayError) && (s == 502 || s == 503 || s == 504)) return true;
      if ((on & kRetryOnRetriable4xx) && s == 409) return true;
      if ((on & kRetryOnRetriableStatusCodes) &&
          std::find(policy.retriable_status_codes.begin(), policy.retriable_status_codes.end(),
                    s) != policy.retriable_status_codes.end()) {
        return true;
      }
      if (!outcome.grpc_status) return false;
      switch (*outcome.grpc_status) {
        case 1:
          return (on & kRetryOnGrpcCancelled) != 0;
        case 4:
          return (on & kRetryOnGrpcDeadlineExceeded) != 0;
        case 8:
          return (on & kRetryOnGrpcResourceExhausted) != 0;
        case 13:
          return (on & kRetryOnGrpcInternal) != 0;
        case 14:
          return (on & kRetryOnGrpcUnavailable) != 0;
        default:
          return false;
      }
    }
    case Kind::kOverflow:
      return false;
    case Kind::kConnectFailure:
      if (on & kRetryOnConnectFailure) return true;
      // A connection that never came up carried no request bytes.
      if (on & kRetryOnResetBeforeRequest) return true;
      return (on & (kRetryOnReset | kRetryOn5xx | kRetryOnGatewayError)) != 0;
    case Kind::kReset:
    case Kind::kRefusedStream:
    case Kind::kPerTryTimeout: {
      const bool started = outcome.kind == Kind::kPerTryTimeout || outcome.request_started;
      if ((on & kRetryOnResetBeforeRequest) && !started) return true;
      if (on & (kRetryOnReset | kRetryOn5xx | kRetryOnGatewayError)) return true;
      return (on & kRetryOnRefusedStream) && outcome.kind == Kind::kRefusedStream;
    }
  }
  return false;
}

}  // namespace zmesh::route
