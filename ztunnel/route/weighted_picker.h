// Which destination of a route gets a request. Istio's rules: a single destination gets 100%
// whatever its weight; with several, weight-0 destinations are dropped and each other one
// gets weight/sum (weights need not sum to 100). The draw is Envoy's weighted_clusters pick:
// `random % total`, walked against the running sum, so tests can pass the random number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "state/http_route.h"

namespace zmesh::route {

class WeightedPicker {
 public:
  WeightedPicker() = default;  // no destination
  explicit WeightedPicker(std::span<const state::HttpRouteDestination> destinations);
  // The same rules over bare weights (tcp[] and tls[] routes' RouteDestination).
  explicit WeightedPicker(std::span<const int32_t> weights);

  // The index into the destination list the picker was built from. nullopt when there is
  // nothing to pick: no destination, or several whose weights are all 0. Istio's validation
  // rejects the latter ("total destination weight = 0"), so only unvalidated input gets here;
  // Envoy would have no cluster for it and answer 503, which is what the caller should do.
  std::optional<size_t> pick(uint64_t random) const;
  std::optional<size_t> pick_unit(double unit_random) const;  // unit_random in [0, 1)

  uint64_t total_weight() const { return total_; }

 private:
  struct Slot {
    uint64_t end;  // running sum of weights up to and including this destination
    size_t index;
  };
  std::vector<Slot> slots_;
  uint64_t total_ = 0;
};

}  // namespace zmesh::route
