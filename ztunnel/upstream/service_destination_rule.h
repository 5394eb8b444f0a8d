// The DestinationRule that sets a Service's traffic policy for every client of the node, as
// needed where the client is not known (the kernel's per-destination connection limits).
// Istio picks a rule per client namespace (client namespace, then the Service's, then the root
// namespace); a node-wide answer can only honour rules every namespace sees, so:
//  - candidates: rules without workloadSelector, exported to all namespaces (exportTo unset or
//    "*"), in the Service's namespace or the root namespace (Service's namespace first);
//  - host: exact ("reviews", qualified with the rule's namespace by state::qualify_host, or the
//    FQDN), then the most specific wildcard ("*.shop.svc.cluster.local", "*");
//  - ties: the oldest (state/oldest_first.h: creationTimestamp, then namespace, then name).
// Rules a client namespace adds for itself are left to ztunnel's own limits.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "state/destination_rule.h"
#include "state/snapshot.h"

namespace zmesh::upstream {

// How well `rule_host` (qualified) matches `hostname`: 0 no match, larger is more specific
// (exact beats any wildcard, a longer wildcard beats a shorter one).
size_t host_match_rank(const std::string& rule_host, const std::string& hostname);

// nullptr when no candidate matches.
const state::DestinationRule* service_destination_rule(
    const std::vector<std::shared_ptr<const state::DestinationRule>>& rules,
    const state::ServiceInfo& service, const std::string& root_namespace);

}  // namespace zmesh::upstream
