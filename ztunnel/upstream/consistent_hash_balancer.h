// consistentHash: ring hash or Maglev over the healthy endpoints, rebuilt only when that set
// changes (as Envoy rebuilds on host and health changes). A request without a hash key (the
// header, cookie or parameter is missing) lands on a random point, as in Envoy.
#pragma once

#include <optional>
#include <variant>

#include "upstream/hash_ring.h"
#include "upstream/load_balancer.h"
#include "upstream/maglev_table.h"

namespace zmesh::upstream {

class ConsistentHashBalancer final : public LoadBalancer {
 public:
  enum class Algorithm { kRingHash, kMaglev };
  // `size`: minimum ring size or Maglev table size; 0 for the default.
  ConsistentHashBalancer(Algorithm algorithm, uint64_t size, uint64_t seed)
      : LoadBalancer(seed), algorithm_(algorithm), size_(size) {}

 private:
  void rebuild(std::span<const Endpoint> endpoints, std::span<const size_t> eligible) override;
  size_t choose(std::span<const Endpoint> endpoints, std::span<const size_t> eligible,
                std::optional<uint64_t> hash) override;

  Algorithm algorithm_;
  uint64_t size_;
  std::variant<std::monostate, HashRing, MaglevTable> table_;
};

}  // namespace zmesh::upstream
