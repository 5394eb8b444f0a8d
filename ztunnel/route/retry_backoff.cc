#include "route/retry_backoff.h"

#include <algorithm>

namespace zmesh::route {

std::chrono::milliseconds backoff_interval(std::chrono::milliseconds base, uint32_t retry_number) {
  const uint64_t first = static_cast<uint64_t>(std::max<int64_t>(base.count(), 1));
  const uint64_t cap = first * 10;
  uint64_t interval = first;
  for (uint32_t n = 1; n < retry_number && interval < cap; ++n) {
    interval = interval < cap / 2 ? interval * 2 : cap;
  }
  return std::chrono::milliseconds(interval);
}

std::chrono::milliseconds retry_backoff(std::chrono::milliseconds base, uint32_t retry_number,
                                        uint64_t random) {
  const uint64_t interval = static_cast<uint64_t>(backoff_interval(base, retry_number).count());
  return std::chrono::milliseconds(random % interval);
}

}  // namespace zmesh::route
