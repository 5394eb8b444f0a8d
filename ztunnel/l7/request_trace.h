// Tracing of one HTTP request in this proxy: at the source ztunnel (client span, after routing)
// and, where the destination runs its HTTP pipeline, at the destination (server span, the
// client span's child). begin_trace reads and rewrites the request's propagation headers
// (telemetry/trace_context.h) and sets x-request-id; finish_span writes the span with the
// attributes Istio's proxies set, when the request is sampled and a provider is configured.
#pragma once

#include <cstdint>
#include <string>

#include "l7/http_message.h"
#include "l7/route_request.h"
#include "state/tracing_settings.h"
#include "telemetry/span.h"
#include "transport/labels.h"
#include "transport/proxy_context.h"

namespace zmesh::l7 {

struct RequestTrace {
  telemetry::SpanContext span;
  std::string request_id;  // x-request-id as sent on
  int64_t start_unix_ns = 0;
  bool report = false;  // sampled, and a provider takes spans
};

// Reads `request`'s trace headers, decides sampling (an incoming decision is kept, else
// `settings.sampling_percent`), starts this proxy's span and rewrites the propagation headers
// so the next hop sees it as the parent; sets x-request-id when the request has none.
RequestTrace begin_trace(Request& request, const state::TracingSettings& settings,
                         upstream::Rng& rng);

struct SpanFacts {
  telemetry::SpanKind kind = telemetry::SpanKind::kClient;
  const transport::ConnectionPeers* peers = nullptr;
  std::string method, url, protocol, user_agent;
  uint32_t status = 0;
  std::string flags, route_name, upstream_cluster, upstream_addr;
  uint32_t attempts = 0;
  uint64_t request_bytes = 0, response_bytes = 0;
  const state::Workload* destination = nullptr;
  const state::ServiceInfo* service = nullptr;
  std::string authority;  // the request's, when there is no service
  uint16_t port = 0;      // the service port (or the workload's) the request went to
};

// Submits the span to ctx.tracer when trace.report. The reporting workload is the source for a
// client span, the destination for a server span.
void finish_span(transport::ProxyContext& ctx, const RequestTrace& trace, const SpanFacts& facts);

}  // namespace zmesh::l7
