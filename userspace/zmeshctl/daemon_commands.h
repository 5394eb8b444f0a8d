// Commands that talk to the node's ztunnel over its control socket:
// enroll, unenroll, status, config-dump.
#pragma once

#include <vector>

#include "cli.h"

namespace zmesh::zmeshctl {

void add_daemon_commands(CLI::App& app, const GlobalOptions& options,
                         std::vector<Command>& commands);

}  // namespace zmesh::zmeshctl
