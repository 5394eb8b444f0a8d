#include "upstream/random_balancer.h"

#include <algorithm>

namespace zmesh::upstream {

void RandomBalancer::rebuild(std::span<const Endpoint> endpoints,
                             std::span<const size_t> eligible) {
  cumulative_.clear();
  uint64_t total = 0;
  for (size_t i : eligible) cumulative_.push_back(total += effective_weight(endpoints[i]));
}

size_t RandomBalancer::choose(std::span<const Endpoint>, std::span<const size_t> eligible,
                              std::optional<uint64_t>) {
  uint64_t r = rng_.below(cumulative_.back());
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), r);
  return eligible[static_cast<size_t>(it - cumulative_.begin())];
}

}  // namespace zmesh::upstream
