// Keeps the kernel's connection limits (Service VIP:port -> DestinationRule
// connectionPool.tcp.maxConnections) in step with each published snapshot.
#pragma once

#include <memory>

#include "bpf/datapath.h"
#include "routing/l7_config.h"

namespace zmesh::app {

// Computes the limits (upstream::kernel_connection_limits) and writes what changed. Ports
// handled as HTTP are left to the L7 path. Failures are logged: the previous limits stay in
// force, ztunnel keeps serving.
// `config`: the snapshot's L7 view (routing::L7ConfigCache's, shared with the workers).
void sync_connection_limits(bpf::Datapath& datapath, const routing::L7Config& config);

}  // namespace zmesh::app
