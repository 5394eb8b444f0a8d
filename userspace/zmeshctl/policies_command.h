// `zmeshctl kernel-policies`: the identity-free L4 policy the kernel enforces per pod
// (PeerAuthentication STRICT, AuthorizationPolicy rules of IP blocks and ports) with the
// connections it refused, read from the pinned BPF maps (zmesh_pol_*). (`zmeshctl policies` lists
// the daemon's config.)
#pragma once

#include <vector>

#include "cli.h"

namespace zmesh::zmeshctl {

void add_policies_command(CLI::App& app, const GlobalOptions& options,
                          std::vector<Command>& commands);

}  // namespace zmesh::zmeshctl
