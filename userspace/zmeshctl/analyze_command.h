// `zmeshctl analyze FILE|DIR...`: validates Kubernetes/Istio YAML offline with the daemon's
// own decoders and object store (istioctl analyze for zmesh); non-zero exit on errors.
#pragma once

#include <vector>

#include "cli.h"

namespace zmesh::zmeshctl {

void add_analyze_command(CLI::App& app, const GlobalOptions& options,
                         std::vector<Command>& commands);

}  // namespace zmesh::zmeshctl
