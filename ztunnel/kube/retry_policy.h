// When to try the API server again: exponential backoff with jitter between failures, the
// server's Retry-After on 429 and 5xx, a re-LIST on 410 Gone, a token re-read on 401.
// Every failure waits: a server that is down costs one attempt per backoff step, never a
// busy loop.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace zmesh::kube {

class Backoff {
 public:
  using ms = std::chrono::milliseconds;
  Backoff(ms initial = ms(250), ms max = ms(30'000)) : initial_(initial), max_(max) {}

  // The next wait: initial, doubling up to max, each scaled by 0.8 .. 1.2 (`unit_random` in
  // [0, 1)) so many nodes do not hit a recovering server in lockstep.
  ms next(double unit_random);
  void reset() {
    attempt_ = 0;
    gone_ = false;
  }
  unsigned failures() const { return attempt_; }

  // Whether the last failure was a 410 Gone.
  bool gone() const { return gone_; }
  void set_gone(bool gone) { gone_ = gone; }

 private:
  ms initial_, max_;
  unsigned attempt_ = 0;
  bool gone_ = false;
};

// Retry-After: delta-seconds or an HTTP-date (RFC 9110). nullopt when unparsable; a date in
// the past is zero.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

struct RetryPlan {
  bool relist = false;         // 410: the resourceVersion is gone, list again
  bool refresh_token = false;  // 401: re-read the token file first
  std::chrono::milliseconds delay{0};
};

// For a request that failed with HTTP `status` (0: a transport error, no status).
// Retry-After (kept within 200 ms .. 5 minutes) wins over the backoff when the server sends one.
RetryPlan plan_retry(unsigned status, std::optional<std::chrono::seconds> retry_after,
                     Backoff& backoff, double unit_random);

}  // namespace zmesh::kube
