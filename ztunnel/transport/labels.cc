#include "transport/labels.h"

#include "telemetry/connection_record.h"

namespace zmesh::transport {

telemetry::TcpLabels make_tcp_labels(const ConnectionPeers& p) {
  telemetry::TcpLabels l;
  l.reporter = p.reporter;
  if (const auto* s = p.source) {
    l.source_workload = s->workload_name;
    l.source_workload_namespace = s->namespace_;
    l.source_app = s->app;
    l.source_version = s->version;
    l.source_canonical_service = s->canonical_service;
    l.source_canonical_revision = s->canonical_revision;
  }
  if (const auto* d = p.destination) {
    l.destination_workload = d->workload_name;
    l.destination_workload_namespace = d->namespace_;
    l.destination_app = d->app;
    l.destination_version = d->version;
    l.destination_canonical_service = d->canonical_service;
    l.destination_canonical_revision = d->canonical_revision;
  }
  if (const auto* svc = p.service) {
    l.destination_service = svc->hostname;
    l.destination_service_name = svc->name;
    l.destination_service_namespace = svc->namespace_;
  }
  l.source_principal = p.source_principal;
  l.destination_principal = p.destination_principal;
  l.connection_security_policy = p.security_policy;
  return l;
}

nlohmann::json make_access_record(const ConnectionPeers& p, uint64_t bytes_sent,
                                  uint64_t bytes_recv, std::chrono::microseconds duration,
                                  const std::string& error) {
  telemetry::ConnectionRecord r;
  r.direction = p.direction;
  r.src_addr = p.src_addr;
  r.dst_addr = p.dst_addr;
  if (p.source) {
    r.src_workload = p.source->workload_name;
    r.src_namespace = p.source->namespace_;
  }
  if (p.destination) {
    r.dst_workload = p.destination->workload_name;
    r.dst_namespace = p.destination->namespace_;
  }
  if (p.service) r.dst_service = p.service->hostname;
  r.bytes_sent = bytes_sent;
  r.bytes_recv = bytes_recv;
  r.duration = duration;
  r.error = error;
  auto j = telemetry::to_json(r);
  j["reporter"] = p.reporter;  // which node's ztunnel wrote the line
  if (p.source) j["src.pod"] = p.source->uid;
  if (p.destination) j["dst.pod"] = p.destination->uid;
  if (!p.source_principal.empty()) j["src.identity"] = p.source_principal;
  if (!p.destination_principal.empty()) j["dst.identity"] = p.destination_principal;
  return j;
}

}  // namespace zmesh::transport
