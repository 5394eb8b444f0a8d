#include "upstream/outlier_detector.h"

#include <algorithm>
#include <unordered_map>

namespace zmesh::upstream {

OutlierDetector::OutlierDetector(const OutlierConfig& config, const Clock& clock)
    : config_(config), clock_(clock), last_sweep_(clock.now()) {}

void OutlierDetector::set_endpoints(std::span<const uint64_t> ids) {
  std::unordered_map<uint64_t, Monitor> old;
  for (auto& m : monitors_) old.emplace(m.id, m);
  monitors_.clear();
  ejected_count_ = 0;
  for (uint64_t id : ids) {
    auto it = old.find(id);
    Monitor m = it != old.end() ? it->second : Monitor{};
    m.id = id;
    ejected_count_ += m.ejected ? 1 : 0;
    monitors_.push_back(m);
  }
}

void OutlierDetector::record_response(size_t endpoint, uint32_t status) {
  Monitor& m = monitors_[endpoint];
  if (!m.ejected) count_status(m, status);
}

void OutlierDetector::record_local_origin(size_t endpoint, LocalOrigin event) {
  Monitor& m = monitors_[endpoint];
  if (m.ejected) return;  // Envoy ignores a run completing on an ejected host too
  if (!config_.split_local_origin) {
    switch (event) {
      case LocalOrigin::kConnectFailed:
        return count_status(m, 503);
      case LocalOrigin::kTimeout:
        return count_status(m, 504);
      case LocalOrigin::kConnectSuccessFinal:
        return count_status(m, 200);
      case LocalOrigin::kConnectSuccess:
        return;
    }
  }
  if (event == LocalOrigin::kConnectFailed || event == LocalOrigin::kTimeout) {
    ++m.run_local;
    on_run(m, m.run_local, config_.consecutive_local_origin_failures);
  } else {
    m.run_local = 0;
    if (event == LocalOrigin::kConnectSuccessFinal) count_status(m, 200);
  }
}

void OutlierDetector::count_status(Monitor& m, uint32_t status) {
  if (status < 500 || status > 599) {
    m.run_5xx = 0;
    m.run_gateway = 0;
    return;
  }
  if (status >= 502 && status <= 504) {
    ++m.run_gateway;
    on_run(m, m.run_gateway, config_.consecutive_gateway_errors);
  } else {
    m.run_gateway = 0;
  }
  if (m.ejected) return;  // the gateway run just ejected it
  ++m.run_5xx;
  on_run(m, m.run_5xx, config_.consecutive_5xx);
}

void OutlierDetector::on_run(Monitor& m, uint32_t& run, uint32_t threshold) {
  if (threshold == 0 || run < threshold) return;
  run = 0;
  eject(m);
}

void OutlierDetector::eject(Monitor& m) {
  // Envoy: eject only if the share ejected afterwards stays within maxEjectionPercent.
  double after = 100.0 * static_cast<double>(ejected_count_ + 1) / static_cast<double>(size());
  if (after > config_.max_ejection_percent) return;
  m.ejected = true;
  m.ejected_at = clock_.now();
  ++ejected_count_;
  if (config_.base_ejection_time * m.multiplier <
      config_.max_ejection_time + config_.base_ejection_time) {
    ++m.multiplier;
  }
}

void OutlierDetector::readmit(Monitor& m, TimePoint now) {
  m.ejected = false;
  m.readmitted_at = now;
  m.run_5xx = m.run_gateway = m.run_local = 0;  // a fresh start, not one error from ejection
  --ejected_count_;
}

void OutlierDetector::sweep() {
  const TimePoint now = clock_.now();
  last_sweep_ = now;
  for (Monitor& m : monitors_) {
    auto duration = std::min(config_.base_ejection_time * m.multiplier, config_.max_ejection_time);
    if (m.ejected && now - m.ejected_at >= duration) readmit(m, now);
  }
  // The multiplier decays for endpoints healthy for at least an interval since readmission.
  for (Monitor& m : monitors_) {
    if (!m.ejected && m.multiplier > 0 && m.readmitted_at &&
        now - *m.readmitted_at >= config_.interval) {
      --m.multiplier;
    }
  }
}

void OutlierDetector::sweep_if_due() {
  if (clock_.now() - last_sweep_ >= config_.interval) sweep();
}

bool OutlierDetector::panic() const {
  if (monitors_.empty() || config_.min_health_percent == 0) return false;
  double healthy =
      100.0 * static_cast<double>(size() - ejected_count_) / static_cast<double>(size());
  return healthy < config_.min_health_percent;
}

}  // namespace zmesh::upstream
