// Telemetry for one HTTP request: istio_requests_total and the request histograms under
// Istio's labels (reporter "source"), and one JSON access-log line with the route and flags.
#pragma once

#include <chrono>

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
};

// Fills the request's side of `facts` (method, path, authority, body size, protocol, gRPC) from
// the request as the client sent it.
void note_request(const Request& request, RequestFacts& facts);

void report_request(transport::ProxyContext& ctx, transport::WorkerState& worker,
                    WorkerCache& cache, const transport::ConnectionPeers& client,
                    const Handled& handled, const RequestFacts& facts);

}  // namespace zmesh::l7
