#include "upstream/round_robin.h"

#include <algorithm>

namespace zmesh::upstream {

void RoundRobinBalancer::rebuild(std::span<const Endpoint> endpoints,
                                 std::span<const size_t> eligible) {
  current_.assign(eligible.size(), 0);
  // Start each worker at a random point of the cycle (Envoy seeds its round robin the same
  // way) so that N workers do not all send their first request to the same endpoint.
  size_t skip = eligible.empty() ? 0 : rng_.below(std::min<size_t>(eligible.size(), 128));
  for (size_t i = 0; i < skip; ++i) choose(endpoints, eligible, std::nullopt);
}

size_t RoundRobinBalancer::choose(std::span<const Endpoint> endpoints,
                                  std::span<const size_t> eligible, std::optional<uint64_t>) {
  int64_t total = 0;
  size_t best = 0;
  for (size_t k = 0; k < eligible.size(); ++k) {
    int64_t w = effective_weight(endpoints[eligible[k]]);
    current_[k] += w;
    total += w;
    if (current_[k] > current_[best]) best = k;
  }
  current_[best] -= total;
  return eligible[best];
}

}  // namespace zmesh::upstream
