// The load-balancing policy a DestinationRule's loadBalancer block asks for, with Istio's
// defaults applied (cluster_traffic_policy.go: applyLoadBalancer, ApplyRingHashLoadBalancer).
#pragma once

#include <cstdint>
#include <optional>

#include "state/traffic_policy.h"

namespace zmesh::upstream {

struct LbConfig {
  enum class Policy { kLeastRequest, kRoundRobin, kRandom, kPassthrough, kRingHash, kMaglev };
  // Unset, UNSPECIFIED and the deprecated LEAST_CONN all mean LEAST_REQUEST.
  Policy policy = Policy::kLeastRequest;
  uint64_t minimum_ring_size = 1024;   // ringHash.minimumRingSize, or the deprecated field
  uint64_t maglev_table_size = 65537;  // maglev.tableSize
  state::ConsistentHashLb hash;        // where the key comes from (kRingHash, kMaglev)
};

// nullopt (no loadBalancer block) gives the defaults. consistentHash wins over `simple` when
// both are present, as in Istio (they are a oneof in the proto).
LbConfig lb_config(const std::optional<state::LoadBalancerSettings>& settings);

}  // namespace zmesh::upstream
