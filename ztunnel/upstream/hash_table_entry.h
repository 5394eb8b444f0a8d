// An endpoint as ring hash and Maglev place it: by id (its position never depends on the
// caller's ordering), with its weight, answering with the caller's index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace zmesh::upstream {

struct HashTableEntry {
  size_t index;  // into the caller's endpoint list
  uint64_t id;
  uint32_t weight;  // >= 1
};

// The text Envoy would hash for a host is its address; ours is the id in decimal.
inline std::string hash_table_key(uint64_t id) {
  return std::to_string(id);
}

}  // namespace zmesh::upstream
