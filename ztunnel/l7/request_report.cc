#include "l7/request_report.h"

#include <boost/beast/http/status.hpp>

#include "l7/grpc_status.h"

namespace zmesh::l7 {

void report_request(proxy::ProxyContext& ctx, proxy::WorkerState& worker, WorkerCache& cache,
                    const proxy::ConnectionPeers& client, const Handled& handled,
                    const RequestFacts& facts) {
  proxy::ConnectionPeers peers = client;
  peers.service = handled.service.get();
  peers.destination = handled.upstream.workload.get();
  if (!handled.upstream.upstream_addr.empty()) peers.dst_addr = handled.upstream.upstream_addr;
  peers.security_policy = handled.upstream.security_policy;
  peers.destination_principal = handled.upstream.destination_principal;
  peers.source_principal = handled.upstream.source_principal;

  telemetry::HttpLabels labels;
  labels.common = proxy::make_tcp_labels(peers);
  // Istio's values: "grpc" for a gRPC request (by its content type), else "http".
  labels.common.request_protocol = facts.grpc ? "grpc" : "http";
  labels.common.response_flags = handled.flags.empty() ? "-" : handled.flags;
  labels.response_code = std::to_string(handled.response.result_int());
  // In the trailers, or in the headers of a trailers-only reply (and of local replies).
  if (auto g = grpc_status_text(handled.response)) labels.grpc_response_status = std::move(*g);
  // The cell for this label set, found without the shard mutex after the first request.
  std::string key = telemetry::render_http_labels(labels);
  auto& cell = cache.counters[key];
  if (!cell) cell = &ctx.metrics.http(worker.index, labels);
  cell->record(facts.duration, facts.request_bytes, facts.response_bytes);

  auto j = proxy::make_access_record(peers, facts.request_bytes, facts.response_bytes,
                                     facts.duration, handled.error);
  j["protocol"] = facts.protocol;
  j["method"] = facts.method;
  j["path"] = facts.path;
  j["authority"] = facts.authority;
  j["response_code"] = handled.response.result_int();
  j["response_flags"] = handled.flags.empty() ? "-" : handled.flags;
  j["route_name"] = handled.route_name;
  if (handled.upstream.attempts > 1) j["attempts"] = handled.upstream.attempts;
  ctx.access_log.write(std::move(j));
}

}  // namespace zmesh::l7
