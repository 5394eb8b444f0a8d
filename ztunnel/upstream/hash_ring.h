// Envoy's ring hash (ketama): each endpoint gets points on a 64-bit ring, hash("<id>_<n>"),
// scaled so that the lightest endpoint has ceil(its share x minimumRingSize) points and the
// others proportionally more (endpoint weights honoured), capped at Envoy's maximum ring size.
// A key belongs to the first point at or after its hash, wrapping at the top.
#pragma once

#include <span>
#include <vector>

#include "upstream/hash_table_entry.h"

namespace zmesh::upstream {

class HashRing {
 public:
  static constexpr uint64_t kDefaultMinimumSize = 1024;      // Istio's and Envoy's default
  static constexpr uint64_t kMaximumSize = 8 * 1024 * 1024;  // Envoy's maximum_ring_size

  HashRing(std::span<const HashTableEntry> entries, uint64_t minimum_size);

  // The endpoint index for `hash`; the ring must not be empty (entries non-empty).
  size_t lookup(uint64_t hash) const;
  size_t size() const { return ring_.size(); }

 private:
  struct Point {
    uint64_t hash;
    uint64_t id;  // tie-break, so equal hashes order the same on every worker
    size_t index;
  };
  std::vector<Point> ring_;
};

}  // namespace zmesh::upstream
