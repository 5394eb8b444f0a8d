// Which endpoints a pick may use, remembered between picks so that a balancer rebuilds its
// tables (ring, Maglev table, EDF deadlines) only when the set really changes: an endpoint
// added, removed, reweighted, ejected or readmitted. Envoy likewise rebuilds on host-set and
// health changes, never per request.
#pragma once

#include <span>
#include <vector>

#include "upstream/endpoint.h"

namespace zmesh::upstream {

class EligibleSet {
 public:
  // Compares `endpoints` with the last call (O(n), no allocation when unchanged); true when
  // ids, weights or health differ, or on the first call.
  bool update(std::span<const Endpoint> endpoints);
  // Indices into `endpoints` of the healthy ones, in order.
  const std::vector<size_t>& indices() const { return indices_; }

 private:
  struct Seen {
    uint64_t id;
    uint32_t weight;
    bool healthy;
    bool operator==(const Seen&) const = default;
  };
  std::vector<Seen> seen_;
  std::vector<size_t> indices_;
  bool first_ = true;
};

// Envoy's weights are >= 1; we treat 0 the same.
inline uint32_t effective_weight(const Endpoint& e) {
  return e.weight == 0 ? 1 : e.weight;
}

}  // namespace zmesh::upstream
