// Telemetry for one HTTP request: istio_requests_total and the request histograms under
// Istio's labels (reporter "source", or "destination" where the destination runs its HTTP
// pipeline), one JSON access-log line with the route, flags, x-request-id and trace id, and
// the request's span (client at the source, server at the destination) when it is traced.
#pragma once

#include <chrono>

#include "l7/request_trace.h"
#include "l7/route_request.h"
#include "l7/worker_cache.h"
#include "transport/labels.h"
#include "transport/proxy_context.h"

namespace zmesh::l7 {

struct RequestFacts {
  // As received from the client (routing rewrites the request's version to the upstream's).
  std::string protocol = "HTTP/1.1";  // "HTTP/1.0", "HTTP/1.1" or "HTTP/2"
  bool grpc = false;                  // content-type application/grpc*
  std::string method, path, authority;
  uint64_t request_bytes = 0, response_bytes = 0;
  std::chrono::microseconds duration{0};
  RequestTrace trace;  // this proxy's span and the x-request-id
  std::string user_agent;
};

// Fills the request's side of `facts` (method, path, authority, body size, protocol, gRPC) from
// the request as the client sent it, then starts its trace (begin_trace: the propagation
// headers and x-request-id of `request` are rewritten for the next hop).
void note_request(Request& request, const state::TracingSettings& tracing, upstream::Rng& rng,
                  RequestFacts& facts);

void report_request(transport::ProxyContext& ctx, transport::WorkerState& worker,
                    WorkerCache& cache, const transport::ConnectionPeers& client,
                    const Handled& handled, const RequestFacts& facts);

}  // namespace zmesh::l7
