// What a byte relay reports: live counters while it runs, totals and the error when done.
// Shared by the splice relay (plain TCP) and the HBONE stream relay.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace zmesh {

struct RelayResult {
  uint64_t client_to_upstream = 0;
  uint64_t upstream_to_client = 0;
  std::string error;  // empty on a clean close both ways
};

struct RelayCounters {
  std::atomic<uint64_t>* client_to_upstream = nullptr;  // bumped live, may be null
  std::atomic<uint64_t>* upstream_to_client = nullptr;
};

}  // namespace zmesh
