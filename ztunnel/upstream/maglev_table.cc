#include "upstream/maglev_table.h"

#include <algorithm>
#include <limits>

#include "upstream/xxhash64.h"

namespace zmesh::upstream {
namespace {

struct Builder {
  uint32_t index;
  uint64_t offset, skip, next = 0;
  double weight, target = 0;
};

}  // namespace

MaglevTable::MaglevTable(std::span<const HashTableEntry> input, uint64_t size) {
  if (input.empty()) return;
  if (size < 2) size = kDefaultSize;
  std::vector<HashTableEntry> entries(input.begin(), input.end());
  // Sorted by id so the fill order (which decides contested slots) is the same however the
  // caller orders its endpoints.
  std::sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.id < b.id; });
  double total = 0;
  for (const auto& e : entries) total += e.weight;
  std::vector<Builder> builders;
  double max_weight = 0;
  for (const auto& e : entries) {
    const std::string key = hash_table_key(e.id);
    builders.push_back({static_cast<uint32_t>(e.index), xxhash64(key) % size,
                        xxhash64(key, 1) % (size - 1) + 1, 0, e.weight / total, 0});
    max_weight = std::max(max_weight, e.weight / total);
  }

  constexpr uint32_t kEmpty = std::numeric_limits<uint32_t>::max();
  table_.assign(size, kEmpty);
  uint64_t filled = 0;
  for (uint64_t round = 1; filled < size; ++round) {
    for (size_t i = 0; i < builders.size() && filled < size; ++i) {
      Builder& b = builders[i];
      if (static_cast<double>(round) * b.weight < b.target) continue;
      b.target += max_weight;
      uint64_t slot = (b.offset + b.skip * b.next) % size;
      while (table_[slot] != kEmpty) slot = (b.offset + b.skip * ++b.next) % size;
      table_[slot] = b.index;
      ++b.next;
      ++filled;
    }
  }
}

}  // namespace zmesh::upstream
