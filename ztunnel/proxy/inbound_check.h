// The I/O side of an inbound refusal (proxy/inbound_plan.h decides): the access log line and,
// for an AuthorizationPolicy denial, the TCP metrics with response_flags "DENY" (opened and
// closed, no bytes), as Istio's ztunnel reports them.
#pragma once

#include "proxy/inbound_plan.h"
#include "transport/labels.h"
#include "transport/proxy_context.h"

namespace zmesh::proxy {

// `peers` labelled from `plan`; call once per refused connection / CONNECT stream.
void report_refusal(transport::ProxyContext& ctx, transport::WorkerState& worker,
                    const InboundPlan& plan, const transport::ConnectionPeers& peers);

// Fills `peers`' ends from the plan's lookups.
void label_ends(const InboundPlan& plan, transport::ConnectionPeers& peers);

}  // namespace zmesh::proxy
