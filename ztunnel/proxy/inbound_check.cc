#include "proxy/inbound_check.h"

#include "transport/connection.h"

namespace zmesh::proxy {

void label_ends(const InboundPlan& plan, transport::ConnectionPeers& peers) {
  peers.source = plan.source;
  peers.destination = plan.destination;
  peers.service = plan.service;
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
