#include "upstream/consistent_hash_balancer.h"

#include <vector>

namespace zmesh::upstream {

void ConsistentHashBalancer::rebuild(std::span<const Endpoint> endpoints,
                                     std::span<const size_t> eligible) {
  table_ = std::monostate{};
  if (eligible.empty()) return;
  std::vector<HashTableEntry> entries;
  entries.reserve(eligible.size());
  for (size_t i : eligible) entries.push_back({i, endpoints[i].id, effective_weight(endpoints[i])});
  if (algorithm_ == Algorithm::kMaglev) {
    table_.emplace<MaglevTable>(entries, size_);
  } else {
    table_.emplace<HashRing>(entries, size_);
  }
}

size_t ConsistentHashBalancer::choose(std::span<const Endpoint>, std::span<const size_t>,
                                      std::optional<uint64_t> hash) {
  uint64_t h = hash ? *hash : rng_.next();
  if (auto* ring = std::get_if<HashRing>(&table_)) return ring->lookup(h);
  return std::get<MaglevTable>(table_).lookup(h);
}

}  // namespace zmesh::upstream
