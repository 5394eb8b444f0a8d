// One try of a request against one endpoint: take a pooled connection (or open one, counted
// as a pending request by the circuit breaker), exchange under the try's time budget, report
// the result to outlier detection, and give a clean keep-alive connection back to the pool.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "l7/forward.h"
#include "route/retry_policy.h"
#include "routing/destination.h"

namespace zmesh::l7 {

struct AttemptResult {
  route::AttemptOutcome outcome;
  std::optional<Response> response;  // set for Kind::kResponse
  std::string error;
  bool exhausted = false;  // set by the caller: retryOn wanted another try, none was left
  std::shared_ptr<const state::Workload> workload;
  std::string upstream_addr;
  std::string security_policy = "none", source_principal, destination_principal;
  std::unique_ptr<UpstreamConnection> tunnel;  // the connection a 101 upgraded
};

boost::asio::awaitable<AttemptResult> attempt(
    transport::ProxyContext& ctx, transport::WorkerState& worker, WorkerCache& cache,
    const std::shared_ptr<const transport::PodNetns>& pod, routing::Destination& dest,
    size_t endpoint, const ForwardRequest& request,
    std::optional<std::chrono::steady_clock::duration> budget);

}  // namespace zmesh::l7
