// Maglev (Eisenbud et al., NSDI 2016) as Envoy builds it: each endpoint walks its own
// permutation of a prime-sized table (offset = xxh64(id) mod M, skip = xxh64(id, seed 1)
// mod (M - 1) + 1) and claims free slots in turns, an endpoint with weight w taking a turn
// w / max_weight of the rounds. A key belongs to slot hash mod M. Removing one endpoint
// mostly reassigns only that endpoint's slots.
#pragma once

#include <span>
#include <vector>

#include "upstream/hash_table_entry.h"

namespace zmesh::upstream {

class MaglevTable {
 public:
  static constexpr uint64_t kDefaultSize = 65537;  // Istio's and Envoy's default; prime

  // `size` must be prime (the DestinationRule validation guarantees it); 0 means the default.
  MaglevTable(std::span<const HashTableEntry> entries, uint64_t size);

  // The endpoint index for `hash`; entries must have been non-empty.
  size_t lookup(uint64_t hash) const { return table_[hash % table_.size()]; }
  size_t size() const { return table_.size(); }

 private:
  std::vector<uint32_t> table_;
};

}  // namespace zmesh::upstream
