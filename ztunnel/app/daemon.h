// The ztunnel process: wires config, BPF datapath, workers, enrollment, telemetry and the
// admin/control endpoints, then runs the control thread until SIGTERM/SIGINT.
#pragma once

#include "app/options.h"

namespace zmesh::app {

// Returns the process exit code.
int run_daemon(const Options& options);

}  // namespace zmesh::app
