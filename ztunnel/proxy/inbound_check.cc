#include "proxy/inbound_check.h"

#include "rbac/audit_record.h"
#include "transport/connection.h"

namespace zmesh::proxy {

void label_ends(const InboundPlan& plan, transport::ConnectionPeers& peers) {
  peers.source = plan.source;
  peers.destination = plan.destination;
  peers.service = plan.service;
}

void account_decision(transport::ProxyContext& ctx, transport::WorkerState& worker,
                      const InboundPlan& plan) {
  if (!plan.authorization) return;
  const auto& d = *plan.authorization;
  std::string decided;
  if (d.denied_by) decided = rbac::policy_key(*d.denied_by);
  ctx.metrics.authz(worker.index, {"l4", d.allowed ? "allowed" : "denied", decided})
      .fetch_add(1, std::memory_order_relaxed);
  for (const auto* p : d.audited)
    ctx.metrics.authz(worker.index, {"l4", "audited", rbac::policy_key(*p)})
        .fetch_add(1, std::memory_order_relaxed);
  if (d.dry_run_would_deny)
    ctx.metrics.authz(worker.index, {"l4", "dry_run_denied", ""})
        .fetch_add(1, std::memory_order_relaxed);
  if (!ctx.audit_log || (d.allowed && d.audited.empty())) return;
  const std::string destination = plan.destination ? plan.destination->uid : "";
  for (const auto& event : rbac::audit_events(d, "l4", destination))
    ctx.audit_log->write(rbac::audit_record(event, plan.view, nullptr));
}

void report_refusal(transport::ProxyContext& ctx, transport::WorkerState& worker,
                    const InboundPlan& plan, const transport::ConnectionPeers& peers) {
  if (plan.action == InboundPlan::Action::kDeny) {
    auto labels = transport::make_tcp_labels(peers);
    labels.response_flags = "DENY";
    auto& counters = ctx.metrics.tcp(worker.index, labels);
    counters.opened.fetch_add(1, std::memory_order_relaxed);
    counters.closed.fetch_add(1, std::memory_order_relaxed);
  }
  transport::report_failure(ctx, peers, plan.reason);
}

}  // namespace zmesh::proxy
