#include "upstream/circuit_breaker_limits.h"

namespace zmesh::upstream {
namespace {

void set_positive(uint32_t& limit, const std::optional<int32_t>& value) {
  if (value && *value > 0) limit = static_cast<uint32_t>(*value);
}

}  // namespace

CircuitBreakerLimits circuit_breaker_limits(
    const std::optional<state::ConnectionPoolSettings>& pool) {
  CircuitBreakerLimits out;
  if (!pool) return out;
  if (const auto& tcp = pool->tcp) set_positive(out.max_connections, tcp->max_connections);
  if (const auto& http = pool->http) {
    set_positive(out.max_pending_requests, http->http1_max_pending_requests);
    set_positive(out.max_requests, http->http2_max_requests);
    set_positive(out.max_retries, http->max_retries);
    set_positive(out.max_requests_per_connection, http->max_requests_per_connection);
  }
  return out;
}

}  // namespace zmesh::upstream
