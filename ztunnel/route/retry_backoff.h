// The wait before a retry: Envoy's jittered exponential backoff. The n-th retry waits a
// uniformly drawn `random % interval_n` ms, where interval_1 is the base (25 ms unless
// `retries.backoff` says otherwise) and each next interval doubles, capped at 10x the base
// (Istio sets no max_interval, and that is Envoy's default).
#pragma once

#include <chrono>
#include <cstdint>

namespace zmesh::route {

// The interval the `retry_number`-th retry (1-based) draws from, in Envoy's steps: double
// while below half the cap, else the cap (25 ms base: 25, 50, 100, 200, 250, 250, ...).
std::chrono::milliseconds backoff_interval(std::chrono::milliseconds base, uint32_t retry_number);

// The wait itself, from a uniformly random 64-bit number.
std::chrono::milliseconds retry_backoff(std::chrono::milliseconds base, uint32_t retry_number,
                                        uint64_t random);

}  // namespace zmesh::route
