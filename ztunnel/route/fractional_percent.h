// Envoy's FractionalPercent and its per-request draw, with Istio's conversions: a Percent
// (double) becomes value x 10000 per million, truncated as Go's uint32() truncates; a
// deprecated integer percent stays per hundred.
#pragma once

#include <cstdint>

namespace zmesh::route {

struct FractionalPercent {
  uint32_t numerator = 0;
  uint32_t denominator = 100;  // 100 or 1'000'000
  bool operator==(const FractionalPercent&) const = default;
};

FractionalPercent from_percentage(double value);  // Percent{value}
FractionalPercent from_integer_percent(int32_t percent);

// Envoy's evaluateFractionalPercent: random % denominator < numerator.
inline bool sampled(FractionalPercent p, uint64_t random) {
  return random % p.denominator < p.numerator;
}

}  // namespace zmesh::route
