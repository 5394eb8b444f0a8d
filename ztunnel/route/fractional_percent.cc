#include "route/fractional_percent.h"

namespace zmesh::route {

FractionalPercent from_percentage(double value) {
  if (!(value > 0)) return {0, 1'000'000};
  if (value >= 100) return {1'000'000, 1'000'000};
  return {static_cast<uint32_t>(value * 10000), 1'000'000};
}

FractionalPercent from_integer_percent(int32_t percent) {
  if (percent <= 0) return {0, 100};
  return {static_cast<uint32_t>(percent > 100 ? 100 : percent), 100};
}

}  // namespace zmesh::route
