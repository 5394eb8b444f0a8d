// RANDOM, weighted: each endpoint with probability weight / total weight.
// Note: Envoy's RANDOM ignores endpoint weights; zmesh honours them, as every zmesh policy does.
#pragma once

#include <vector>

#include "upstream/load_balancer.h"

namespace zmesh::upstream {

class RandomBalancer final : public LoadBalancer {
 public:
  explicit RandomBalancer(uint64_t seed) : LoadBalancer(seed) {}

 private:
  void rebuild(std::span<const Endpoint> endpoints, std::span<const size_t> eligible) override;
  size_t choose(std::span<const Endpoint> endpoints, std::span<const size_t> eligible,
                std::optional<uint64_t> hash) override;

  std::vector<uint64_t> cumulative_;  // running weight sums over `eligible`: O(log n) per pick
};

}  // namespace zmesh::upstream
