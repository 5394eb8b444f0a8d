#include "l7/request_report.h"

#include <boost/beast/http/status.hpp>
#include <unordered_map>

#include "l7/grpc_status.h"
#include "telemetry/json_line.h"

namespace zmesh::l7 {
namespace {

// What the request's telemetry says about its destination end: the client's connection as
// forwarding ended it (the endpoint that answered, the mTLS identities of that hop).
struct Ends {
  const transport::ConnectionPeers& client;
  const Handled& handled;
  const std::string& dst_addr() const {
    return handled.upstream.upstream_addr.empty() ? client.dst_addr
                                                  : handled.upstream.upstream_addr;
  }
  const state::Workload* destination() const { return handled.upstream.workload.get(); }
  const state::ServiceInfo* service() const { return handled.service.get(); }
  transport::ConnectionPeers peers() const {  // for make_tcp_labels, once per label set
    transport::ConnectionPeers p = client;
    p.service = service();
    p.destination = destination();
    p.dst_addr = dst_addr();
    p.security_policy = handled.upstream.security_policy;
    p.destination_principal = handled.upstream.destination_principal;
    p.source_principal = handled.upstream.source_principal;
    return p;
  }
};

// What tells one request's metric labels from another's on a worker, without rendering them:
// the label values are all functions of these (make_tcp_labels). The workload and service are
// held, so their addresses cannot be taken by other objects while the key lives; the source
// is the connection's raw pointer, hence the map is dropped whenever the worker's snapshot
// changes (new workloads only come with a new snapshot, which route_one sees first).
struct CellKeyView {
  const state::Workload* source;
  const state::Workload* destination;
  const state::ServiceInfo* service;
  std::string_view reporter, security_policy, source_principal, destination_principal, flags,
      grpc_status;
  unsigned code;
  bool grpc;
  bool operator==(const CellKeyView&) const = default;
};

struct CellKey {
  const state::Workload* source;
  std::shared_ptr<const state::Workload> destination;
  std::shared_ptr<const state::ServiceInfo> service;
  std::string reporter, security_policy, source_principal, destination_principal, flags,
      grpc_status;
  unsigned code;
  bool grpc;
  CellKeyView view() const {
    return {source,
            destination.get(),
            service.get(),
            reporter,
            security_policy,
            source_principal,
            destination_principal,
            flags,
            grpc_status,
            code,
            grpc};
  }
};

// Transparent, so a lookup needs no owned key (no string copies per request).
struct CellKeyOps {
  using is_transparent = void;
  static CellKeyView v(const CellKey& k) { return k.view(); }
  static const CellKeyView& v(const CellKeyView& k) { return k; }
  template <class K>
  size_t operator()(const K& key) const {
    const CellKeyView& k = v(key);
    size_t h = std::hash<const void*>{}(k.source);
    auto mix = [&h](size_t x) { h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
    mix(std::hash<const void*>{}(k.destination));
    mix(std::hash<const void*>{}(k.service));
    mix(k.code * 2 + k.grpc);
    mix(std::hash<std::string_view>{}(k.flags));
    return h;
  }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return v(a) == v(b);
  }
};

struct CellCache {
  const state::Snapshot* snapshot = nullptr;  // the worker's snapshot when the keys were made
  std::unordered_map<CellKey, telemetry::HttpCounters*, CellKeyOps, CellKeyOps> cells;
};

// Per worker thread, like WorkerCache.
thread_local CellCache cell_cache;

telemetry::HttpCounters& counters_for(transport::ProxyContext& ctx, transport::WorkerState& worker,
                                      WorkerCache& cache, const Ends& ends,
                                      const RequestFacts& facts) {
  if (cell_cache.snapshot != cache.routes.snapshot.get()) {
    cell_cache.cells.clear();
    cell_cache.snapshot = cache.routes.snapshot.get();
  }
  const Handled& h = ends.handled;
  // In the trailers, or in the headers of a trailers-only reply (and of local replies).
  std::optional<std::string> grpc_status = grpc_status_text(h.response);
  CellKeyView view{ends.client.source,
                   ends.destination(),
                   ends.service(),
                   ends.client.reporter,
                   h.upstream.security_policy,
                   h.upstream.source_principal,
                   h.upstream.destination_principal,
                   h.flags,
                   grpc_status ? std::string_view(*grpc_status) : std::string_view(),
                   h.response.result_int(),
                   facts.grpc};
  auto it = cell_cache.cells.find(view);
  if (it != cell_cache.cells.end()) return *it->second;

  telemetry::HttpLabels labels;
  labels.common = transport::make_tcp_labels(ends.peers());
  // Istio's values: "grpc" for a gRPC request (by its content type), else "http".
  labels.common.request_protocol = facts.grpc ? "grpc" : "http";
  labels.common.response_flags = h.flags.empty() ? "-" : h.flags;
  labels.response_code = std::to_string(view.code);
  if (grpc_status) labels.grpc_response_status = *grpc_status;
  auto& cell = ctx.metrics.http(worker.index, labels);
  CellKey key{view.source,
              h.upstream.workload,
              h.service,
              std::string(view.reporter),
              std::string(view.security_policy),
              std::string(view.source_principal),
              std::string(view.destination_principal),
              std::string(view.flags),
              std::string(view.grpc_status),
              view.code,
              view.grpc};
  cell_cache.cells.emplace(std::move(key), &cell);
  return cell;
}

// The fields of transport::make_access_record (ztunnel's "connection complete" record) plus the
// request's, in the order nlohmann::json wrote them (sorted keys), built in one string.
std::string access_line(const Ends& ends, const RequestFacts& facts) {
  const transport::ConnectionPeers& p = ends.client;
  const Handled& handled = ends.handled;
  const state::Workload* dst = ends.destination();
  telemetry::JsonLine j;
  auto add_nonempty = [&j](std::string_view key, const std::string& value) {
    if (!value.empty()) j.add(key, value);
  };
  if (handled.upstream.attempts > 1) j.add("attempts", handled.upstream.attempts);
  j.add("authority", facts.authority);
  j.add("bytes_recv", facts.response_bytes);
  j.add("bytes_sent", facts.request_bytes);
  add_nonempty("direction", p.direction);
  add_nonempty("dst.addr", ends.dst_addr());
  add_nonempty("dst.identity", handled.upstream.destination_principal);
  if (dst) add_nonempty("dst.namespace", dst->namespace_);
  if (dst) j.add("dst.pod", dst->uid);
  if (ends.service()) add_nonempty("dst.service", ends.service()->hostname);
  if (dst) add_nonempty("dst.workload", dst->workload_name);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(facts.duration).count();
  j.add("duration", std::to_string(ms) + "ms");
  add_nonempty("error", handled.error);
  j.add("level", handled.error.empty() ? "info" : "warn");
  j.add("message", "connection complete");
  j.add("method", facts.method);
  j.add("path", facts.path);
  j.add("protocol", facts.protocol);
  j.add("reporter", p.reporter);
  j.add("request_id", facts.trace.request_id);
  j.add("response_code", handled.response.result_int());
  add_nonempty("response_code_details", handled.details);
  j.add("response_flags", handled.flags.empty() ? std::string_view("-") : handled.flags);
  j.add("route_name", handled.route_name);
  j.add("scope", "access");
  add_nonempty("src.addr", p.src_addr);
  add_nonempty("src.identity", handled.upstream.source_principal);
  if (p.source) add_nonempty("src.namespace", p.source->namespace_);
  if (p.source) j.add("src.pod", p.source->uid);
  if (p.source) add_nonempty("src.workload", p.source->workload_name);
  j.add("timestamp", telemetry::access_log_timestamp());
  j.add("trace_id", telemetry::to_hex(facts.trace.span.trace_id));
  return j.finish();
}

// The port of "ip:port" (0 when there is none).
uint16_t port_of(const std::string& addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) return 0;
  unsigned v = 0;
  for (char c : addr.substr(colon + 1)) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v > 65535 ? 0 : static_cast<uint16_t>(v);
}

void write_span(transport::ProxyContext& ctx, const Ends& ends, const RequestFacts& facts) {
  const Handled& h = ends.handled;
  const bool server = ends.client.reporter == "destination";
  SpanFacts f;
  f.kind = server ? telemetry::SpanKind::kServer : telemetry::SpanKind::kClient;
  f.peers = &ends.client;
  f.method = facts.method;
  f.url = "http://" + facts.authority + facts.path;
  f.protocol = facts.protocol;
  f.user_agent = facts.user_agent;
  f.status = h.response.result_int();
  f.flags = h.flags;
  f.route_name = h.route_name;
  f.upstream_addr = ends.dst_addr();
  f.attempts = h.upstream.attempts;
  f.request_bytes = facts.request_bytes;
  f.response_bytes = facts.response_bytes;
  f.destination = ends.destination() ? ends.destination() : ends.client.destination;
  f.service = ends.service();
  f.authority = facts.authority;
  f.port = port_of(ends.client.dst_addr);
  std::string port = std::to_string(f.port);
  if (server)
    f.upstream_cluster = "inbound|" + port + "||";
  else if (f.service)
    f.upstream_cluster = "outbound|" + port + "||" + f.service->hostname;
  finish_span(ctx, facts.trace, f);
}

}  // namespace

void note_request(Request& request, const state::TracingSettings& tracing, upstream::Rng& rng,
                  RequestFacts& facts) {
  facts.method = std::string(request.method_string());
  facts.path = std::string(request.target());
  facts.authority = std::string(request[http::field::host]);
  facts.request_bytes = request.body().size();
  const unsigned version = request.version();
  facts.protocol = version == 20 ? "HTTP/2" : version == 10 ? "HTTP/1.0" : "HTTP/1.1";
  facts.grpc = is_grpc_request(request);
  auto ua = request.find(http::field::user_agent);
  if (ua != request.end()) facts.user_agent = std::string(ua->value());
  facts.trace = begin_trace(request, tracing, rng);
}

void report_request(transport::ProxyContext& ctx, transport::WorkerState& worker,
                    WorkerCache& cache, const transport::ConnectionPeers& client,
                    const Handled& handled, const RequestFacts& facts) {
  Ends ends{client, handled};
  counters_for(ctx, worker, cache, ends, facts)
      .record(facts.duration, facts.request_bytes, facts.response_bytes);
  ctx.access_log.write_line(access_line(ends, facts));
  if (facts.trace.report) write_span(ctx, ends, facts);
}

}  // namespace zmesh::l7
