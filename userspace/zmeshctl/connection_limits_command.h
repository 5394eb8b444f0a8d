// `zmeshctl connection-limits`: the DestinationRule maxConnections the kernel enforces per
// Service VIP:port, with the node's live count and refusals, read from the pinned BPF maps.
#pragma once

#include <vector>

#include "cli.h"

namespace zmesh::zmeshctl {

void add_connection_limits_command(CLI::App& app, const GlobalOptions& options,
                                   std::vector<Command>& commands);

}  // namespace zmesh::zmeshctl
