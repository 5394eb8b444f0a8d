// XXH64, the hash Envoy uses for ring hash points, Maglev permutations and request hash keys.
// Using the same function keeps our key -> hash mapping the same as Envoy's.
#pragma once

#include <cstdint>
#include <string_view>

namespace zmesh::upstream {

uint64_t xxhash64(std::string_view data, uint64_t seed = 0);

}  // namespace zmesh::upstream
