// Outlier detection for one endpoint set (one destination), Envoy's consecutive-error detector:
//  - results count per endpoint: any 5xx raises the 5xx run, 502/503/504 also the gateway
//    run, anything else ends both; unless split, a connect failure counts as 503 and a
//    timeout as 504. A run reaching its threshold ejects the endpoint at once, if
//    maxEjectionPercent allows, and restarts that run either way;
//  - an ejection lasts baseEjectionTime x its multiplier (at most the max ejection time); the
//    multiplier grows by one per ejection and shrinks by one per interval spent healthy after
//    readmission (Envoy's eject-time backoff);
//  - sweep(), called every `interval`, readmits endpoints whose time is over and resets runs;
//  - below minHealthPercent usable endpoints, all count as usable (panic).
// Not thread-safe: one instance per destination, shared by workers under the caller's mutex
// (one short critical section per result), or fed from one thread.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "upstream/clock.h"
#include "upstream/outlier_config.h"

namespace zmesh::upstream {

// What the proxy saw on the connection itself (not an HTTP status).
enum class LocalOrigin {
  kConnectFailed,        // refused, unreachable, reset before a response: a 503 unless split
  kTimeout,              // no answer in time: a 504 unless split
  kConnectSuccess,       // connected, for an HTTP request (no verdict unless split)
  kConnectSuccessFinal,  // connected, and that was the job (TCP proxying): a success
};

class OutlierDetector {
 public:
  OutlierDetector(const OutlierConfig& config, const Clock& clock);

  // The endpoint set (by Endpoint::id, in the caller's order; indices below refer to it).
  // Endpoints that stay keep their state, as Envoy keeps host monitors across updates.
  void set_endpoints(std::span<const uint64_t> ids);
  size_t size() const { return monitors_.size(); }

  void record_response(size_t endpoint, uint32_t status);
  void record_local_origin(size_t endpoint, LocalOrigin event);

  // The interval timer's work. sweep_if_due() runs it when `interval` has passed since the
  // last sweep, for a caller that checks on each request instead of keeping a timer.
  void sweep();
  void sweep_if_due();

  bool ejected(size_t endpoint) const { return monitors_[endpoint].ejected; }
  // What Endpoint::healthy should say: not ejected, or anything while in panic.
  bool usable(size_t endpoint) const { return panic() || !ejected(endpoint); }
  bool panic() const;
  size_t ejected_count() const { return ejected_count_; }
  // The ejection-time multiplier: the next ejection lasts base x (this + 1), capped.
  uint32_t multiplier(size_t endpoint) const { return monitors_[endpoint].multiplier; }

 private:
  struct Monitor {
    uint64_t id = 0;
    uint32_t run_5xx = 0, run_gateway = 0, run_local = 0;
    uint32_t multiplier = 0;
    bool ejected = false;
    TimePoint ejected_at{};
    std::optional<TimePoint> readmitted_at;
  };

  void count_status(Monitor& m, uint32_t status);
  // A run reached `threshold` (0: that detector is off): try to eject, restart the run.
  void on_run(Monitor& m, uint32_t& run, uint32_t threshold);
  void eject(Monitor& m);
  void readmit(Monitor& m, TimePoint now);

  OutlierConfig config_;
  const Clock& clock_;
  std::vector<Monitor> monitors_;
  size_t ejected_count_ = 0;
  TimePoint last_sweep_;
};

}  // namespace zmesh::upstream
