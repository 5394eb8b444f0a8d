#include "upstream/xxhash64.h"

#include <xxhash.h>

namespace zmesh::upstream {

uint64_t xxhash64(std::string_view data, uint64_t seed) {
  return XXH64(data.data(), data.size(), seed);
}

}  // namespace zmesh::upstream
