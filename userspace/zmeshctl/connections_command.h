// `zmeshctl connections`: live redirected connections read straight from the pinned BPF
// maps, so it works even when the daemon is down.
#pragma once

#include <vector>

#include "cli.h"

namespace zmesh::zmeshctl {

void add_connections_command(CLI::App& app, const GlobalOptions& options,
                             std::vector<Command>& commands);

}  // namespace zmesh::zmeshctl
