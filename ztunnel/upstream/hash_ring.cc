#include "upstream/hash_ring.h"

#include <algorithm>
#include <cmath>

#include "upstream/xxhash64.h"

namespace zmesh::upstream {

HashRing::HashRing(std::span<const HashTableEntry> input, uint64_t minimum_size) {
  if (input.empty()) return;
  if (minimum_size == 0) minimum_size = kDefaultMinimumSize;
  std::vector<HashTableEntry> entries(input.begin(), input.end());
  std::sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.id < b.id; });
  double total = 0;
  for (const auto& e : entries) total += e.weight;
  double min_share = 1.0;
  for (const auto& e : entries) min_share = std::min(min_share, e.weight / total);

  // As Envoy's RingHashLoadBalancer::Ring: running sums give each endpoint scale x share
  // points even when that is not a whole number.
  const double scale =
      std::min(std::ceil(min_share * static_cast<double>(minimum_size)) / min_share,
               static_cast<double>(kMaximumSize));
  ring_.reserve(static_cast<size_t>(std::ceil(scale)));
  double current = 0, target = 0;
  for (const auto& e : entries) {
    const std::string prefix = hash_table_key(e.id) + "_";
    target += scale * (e.weight / total);
    for (uint64_t n = 0; current < target; ++n, ++current) {
      ring_.push_back({xxhash64(prefix + std::to_string(n)), e.id, e.index});
    }
  }
  std::sort(ring_.begin(), ring_.end(), [](const Point& a, const Point& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.id < b.id;
  });
}

size_t HashRing::lookup(uint64_t hash) const {
  auto it = std::lower_bound(ring_.begin(), ring_.end(), hash,
                             [](const Point& p, uint64_t h) { return p.hash < h; });
  return (it == ring_.end() ? ring_.front() : *it).index;
}

}  // namespace zmesh::upstream
