// Findings about policies whose meaning depends on the ports they meet (zmeshctl analyze, as
// istioctl analyze warns): an AuthorizationPolicy rule with HTTP attributes is decided per
// request only where the workload's port speaks HTTP (the destination ztunnel's HTTP
// pipeline); elsewhere it keeps Istio's L4 meaning: an ALLOW rule with HTTP fields never
// matches, a DENY rule applies without them. Pure: over a snapshot and its routing view.
#pragma once

#include <string>
#include <vector>

#include "routing/l7_config.h"
#include "state/snapshot.h"

namespace zmesh::analysis {

struct Finding {
  std::string object;   // "AuthorizationPolicy ns/name"
  std::string message;  // what and why, with the fix
  bool operator==(const Finding&) const = default;
};

// One finding per AuthorizationPolicy (ALLOW, DENY, AUDIT, dry-run included) with an HTTP
// attribute that applies to at least one workload of the snapshot none of whose Service ports
// speaks HTTP. Sorted by object.
std::vector<Finding> http_rules_on_l4_ports(const routing::L7Config& config);

}  // namespace zmesh::analysis
