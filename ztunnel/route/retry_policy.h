// The retry policy a route runs with (Istio's retry.ConvertPolicy) and Envoy's decision,
// per failed attempt, whether its retryOn conditions call for another one.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "state/http_route.h"

namespace zmesh::route {

// Envoy's x-envoy-retry-on conditions, as bits.
enum RetryOn : uint32_t {
  kRetryOn5xx = 1u << 0,
  kRetryOnGatewayError = 1u << 1,
  kRetryOnReset = 1u << 2,
  kRetryOnResetBeforeRequest = 1u << 3,
  kRetryOnConnectFailure = 1u << 4,
  kRetryOnEnvoyRateLimited = 1u << 5,
  kRetryOnRetriable4xx = 1u << 6,
  kRetryOnRefusedStream = 1u << 7,
  kRetryOnRetriableStatusCodes = 1u << 8,
  kRetryOnRetriableHeaders = 1u << 9,          // Istio has no field for the headers: never fires
  kRetryOnHttp3PostConnectFailure = 1u << 10,  // no HTTP/3 here: never fires
  kRetryOnGrpcCancelled = 1u << 11,
  kRetryOnGrpcDeadlineExceeded = 1u << 12,
  kRetryOnGrpcInternal = 1u << 13,
  kRetryOnGrpcResourceExhausted = 1u << 14,
  kRetryOnGrpcUnavailable = 1u << 15,
};

struct RetryPolicy {
  uint32_t num_retries = 0;  // `attempts`: at most 1 + num_retries requests
  uint32_t retry_on = 0;     // RetryOn bits
  std::vector<uint32_t> retriable_status_codes;
  std::optional<std::chrono::milliseconds> per_try_timeout;  // none: the route timeout
  bool retry_ignore_previous_hosts = true;                   // Envoy's previous_hosts predicate
  bool retry_remote_localities = false;                      // previous_priorities
  std::chrono::milliseconds backoff_base{25};
  uint32_t host_selection_retry_max_attempts = 5;
};

// `retryOn` parsed as Istio's parseRetryOn does: integer tokens Go's http.StatusText knows
// become retriable status codes (and add retriable-status-codes), other tokens are Envoy's.
void parse_retry_on(std::string_view retry_on, RetryPolicy& policy);

// Istio's default when the route has no `retries` (and MeshConfig sets no
// defaultHttpRetryPolicy): 2 retries on connect-failure, refused-stream, unavailable,
// cancelled and retriable-status-codes with an empty code list (503 is no longer retried by
// default since Istio 1.24).
RetryPolicy default_retry_policy(bool consistent_hash = false);

// The policy the route runs with: `route_retries`, else `mesh_default`, else the default
// above. nullopt when that says attempts 0 (retries disabled). Fields left unset in the
// HTTPRetry keep the default's values (an empty retryOn keeps the default retryOn).
// With consistent hashing Istio drops the previous-hosts predicate.
std::optional<RetryPolicy> effective_retry_policy(
    const std::optional<state::HttpRetry>& route_retries,
    const std::optional<state::HttpRetry>& mesh_default = std::nullopt,
    bool consistent_hash = false);

// How one attempt ended.
struct AttemptOutcome {
  enum class Kind {
    kResponse,        // response headers arrived: `status`, maybe a grpc-status header
    kConnectFailure,  // no connection to the endpoint (refused, unreachable, timed out)
    kReset,           // the stream or connection died before response headers
    kRefusedStream,   // HTTP/2 REFUSED_STREAM
    kPerTryTimeout,   // perTryTimeout fired: Envoy resets the attempt (a local reset)
    kOverflow,        // a circuit breaker refused the attempt: never retried
  };
  Kind kind = Kind::kResponse;
  uint32_t status = 0;
  std::optional<uint32_t> grpc_status;  // grpc-status in the response headers (trailers-only)
  bool rate_limited = false;            // x-envoy-ratelimited in the response headers
  bool request_started = true;          // kReset: had request bytes gone upstream
};

// Whether retryOn calls for another attempt after `outcome` (Envoy's wouldRetryFromHeaders
// and wouldRetryFromReset). Counting attempts is the caller's: see retries_left.
bool should_retry(const RetryPolicy& policy, const AttemptOutcome& outcome);

inline bool retries_left(const RetryPolicy& policy, uint32_t retries_done) {
  return retries_done < policy.num_retries;
}

}  // namespace zmesh::route
