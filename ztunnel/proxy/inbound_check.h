// The I/O side of an inbound decision (proxy/inbound_plan.h decides): for a refusal the access
// log line and, for an AuthorizationPolicy denial, the TCP metrics with response_flags "DENY"
// (opened and closed, no bytes), as Istio's ztunnel reports them; for every L4 authorization
// decision its counter and audit records.
#pragma once

#include "proxy/inbound_plan.h"
#include "transport/labels.h"
#include "transport/proxy_context.h"

namespace zmesh::proxy {

// `peers` labelled from `plan`; call once per refused connection / CONNECT stream.
void report_refusal(transport::ProxyContext& ctx, transport::WorkerState& worker,
                    const InboundPlan& plan, const transport::ConnectionPeers& peers);

// The connection's AuthorizationPolicy decision, if one was made: counted per policy
// (zmesh_authorization_decisions_total, layer "l4") and, for an AUDIT match or a denial,
// written to the audit log.
void account_decision(transport::ProxyContext& ctx, transport::WorkerState& worker,
                      const InboundPlan& plan);

// Fills `peers`' ends from the plan's lookups.
void label_ends(const InboundPlan& plan, transport::ConnectionPeers& peers);

}  // namespace zmesh::proxy
