#include "l7/request_trace.h"

#include <chrono>

#include "telemetry/trace_context.h"
#include "telemetry/trace_exporter.h"

namespace zmesh::l7 {
namespace {

int64_t now_unix_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

boost::beast::string_view beast_view(std::string_view s) {
  return {s.data(), s.size()};
}

std::string_view header(const Request& request, std::string_view name) {
  auto it = request.find(beast_view(name));
  if (it == request.end()) return {};
  auto v = it->value();
  return {v.data(), v.size()};
}

}  // namespace

RequestTrace begin_trace(Request& request, const state::TracingSettings& settings,
                         upstream::Rng& rng) {
  RequestTrace t;
  t.start_unix_ns = now_unix_ns();
  telemetry::TraceHeaders h;
  h.traceparent = header(request, "traceparent");
  h.tracestate = header(request, "tracestate");
  h.b3 = header(request, "b3");
  h.x_b3_traceid = header(request, "x-b3-traceid");
  h.x_b3_spanid = header(request, "x-b3-spanid");
  h.x_b3_parentspanid = header(request, "x-b3-parentspanid");
  h.x_b3_sampled = header(request, "x-b3-sampled");
  h.x_b3_flags = header(request, "x-b3-flags");
  h.x_request_id = header(request, "x-request-id");
  const bool had_b3_single = !h.b3.empty();
  auto parent = telemetry::extract_parent(h);
  auto incoming = parent ? parent->sampled : telemetry::decision_only(h);
  bool sampled = telemetry::decide_sampled(incoming, settings.sampling_percent, rng.next());
  telemetry::TraceId fresh{};
  if (!parent) {
    uint64_t hi = rng.next(), lo = rng.next();
    for (int i = 0; i < 8; ++i) {
      fresh[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
      fresh[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
    }
  }
  t.span = telemetry::start_span(parent, sampled, fresh, rng.next());
  t.report = sampled && settings.report;
  if (h.x_request_id.empty()) {
    uint64_t hi = rng.next(), lo = rng.next();
    t.request_id = telemetry::request_id({}, hi, lo);
    request.set("x-request-id", t.request_id);
  } else {
    t.request_id = std::string(h.x_request_id);
  }
  // The views above point into `request`: done with them before it changes.
  for (auto name : telemetry::kTraceHeaderNames) request.erase(beast_view(name));
  for (auto& [name, value] : telemetry::propagation_headers(t.span, had_b3_single))
    request.set(name, value);
  return t;
}

void finish_span(transport::ProxyContext& ctx, const RequestTrace& trace, const SpanFacts& f) {
  if (!trace.report || ctx.tracer == nullptr) return;
  const bool client = f.kind == telemetry::SpanKind::kClient;
  const state::Workload* self = client ? f.peers->source : f.destination;
  telemetry::Span s;
  s.context = trace.span;
  s.kind = f.kind;
  s.start_unix_ns = trace.start_unix_ns;
  s.end_unix_ns = now_unix_ns();
  std::string host = f.service ? f.service->hostname : f.authority;
  s.name = host + ":" + std::to_string(f.port) + "/*";
  if (self) {
    s.service_name = self->canonical_service + "." + self->namespace_;
    if (!self->ips.empty()) s.local_ip = self->ips.front().to_string();
  } else {
    s.service_name = "unknown";
  }
  auto& a = s.attributes;
  a.reserve(28);
  a.emplace_back("component", "proxy");
  a.emplace_back("node_id", "ztunnel~" + ctx.node);
  a.emplace_back("guid:x-request-id", trace.request_id);
  a.emplace_back("http.method", f.method);
  a.emplace_back("http.url", f.url);
  a.emplace_back("http.protocol", f.protocol);
  a.emplace_back("http.status_code", std::to_string(f.status));
  a.emplace_back("response_flags", f.flags.empty() ? "-" : f.flags);
  a.emplace_back("request_size", std::to_string(f.request_bytes));
  a.emplace_back("response_size", std::to_string(f.response_bytes));
  if (!f.user_agent.empty()) a.emplace_back("user_agent", f.user_agent);
  a.emplace_back("istio.mesh_id", ctx.trust_domain);
  if (self) {
    a.emplace_back("istio.canonical_service", self->canonical_service);
    a.emplace_back("istio.canonical_revision", self->canonical_revision);
    a.emplace_back("istio.namespace", self->namespace_);
  }
  if (f.service) a.emplace_back("istio.destination_service", f.service->hostname);
  if (f.destination) {
    a.emplace_back("istio.destination_workload", f.destination->workload_name);
    a.emplace_back("istio.destination_namespace", f.destination->namespace_);
  }
  if (!f.route_name.empty()) a.emplace_back("route_name", f.route_name);
  if (!f.upstream_cluster.empty()) {
    a.emplace_back("upstream_cluster", f.upstream_cluster);
    a.emplace_back("upstream_cluster.name", f.upstream_cluster);
  }
  if (!f.upstream_addr.empty()) a.emplace_back("upstream_address", f.upstream_addr);
  if (f.attempts > 1) a.emplace_back("retry.attempts", std::to_string(f.attempts));
  a.emplace_back("peer.address", f.peers->src_addr);  // the downstream peer, both sides
  a.emplace_back("connection.security_policy", f.peers->security_policy);
  if (!f.peers->source_principal.empty())
    a.emplace_back("source.principal", f.peers->source_principal);
  if (!f.peers->destination_principal.empty())
    a.emplace_back("destination.principal", f.peers->destination_principal);
  s.error = f.status >= 500 || f.status == 0;
  ctx.tracer->submit(std::move(s));
}

}  // namespace zmesh::l7
