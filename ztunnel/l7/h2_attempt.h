// One try of a request over HTTP/2 (the upstream_protocol() decided so): a stream on a pooled
// HTTP/2 connection (h2_upstream_pool), the try's deadline resetting only that stream, and the
// result reported to outlier detection as the HTTP/1.1 path does.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "l7/attempt.h"
#include "l7/h2_upstream_connection.h"

namespace zmesh::l7 {

// How an exchange counts for retryOn (route::should_retry): a refused stream (GOAWAY,
// REFUSED_STREAM) is Envoy's refused-stream, reset before the request started; grpc-status
// comes from the trailers, or from the headers of a trailers-only reply.
route::AttemptOutcome h2_outcome(const H2Exchange& exchange);

boost::asio::awaitable<AttemptResult> attempt_h2(
    transport::ProxyContext& ctx, transport::WorkerState& worker, WorkerCache& cache,
    const std::shared_ptr<const transport::PodNetns>& pod, routing::Destination& dest,
    size_t endpoint, const ForwardRequest& request,
    std::optional<std::chrono::steady_clock::time_point> deadline);

}  // namespace zmesh::l7
