// The TrafficPolicy Istio builds a cluster from, for one (DestinationRule, subset, port), as
// pilot's MergeSubsetTrafficPolicy / GetPortLevelTrafficPolicy do:
//  1. the rule's trafficPolicy; if one of its portLevelSettings names `port`, that entry
//     replaces it wholesale: its loadBalancer, connectionPool, outlierDetection and tls, each
//     unset one left unset (defaults, not inherited), and tunnel, proxyProtocol and retryBudget
//     dropped, as Istio's shadowCopyPortTrafficPolicy does;
//  2. the subset's trafficPolicy, resolved for `port` the same way, then overrides block by
//     block: each block it sets replaces the rule's whole block (never field by field); after a
//     subset port-level match, the four port-level blocks are replaced even when unset.
// `port` is the Service port number. The result has no portLevelSettings.
#pragma once

#include <cstdint>

#include "state/destination_rule.h"

namespace zmesh::upstream {

// `subset` may be nullptr (the whole host).
state::TrafficPolicy merge_traffic_policy(const state::DestinationRule& rule,
                                          const state::Subset* subset, uint32_t port);

}  // namespace zmesh::upstream
