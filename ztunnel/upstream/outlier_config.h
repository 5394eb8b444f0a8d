// outlierDetection as Istio hands it to Envoy (applyOutlierDetection) with Envoy's defaults
// for what Istio leaves out. Success-rate ejection is always off under Istio, so not modelled.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "state/traffic_policy.h"

namespace zmesh::upstream {

struct OutlierConfig {
  using ms = std::chrono::milliseconds;
  // Consecutive 5xx (502/503/504 included) before ejection: Envoy's default 5; an explicit 0
  // disables it.
  uint32_t consecutive_5xx = 5;
  // Consecutive 502/503/504 (and, unless split, connect failures and timeouts): off unless set
  // (Envoy's enforcing_consecutive_gateway_failure defaults to 0); 0 disables it.
  uint32_t consecutive_gateway_errors = 0;
  // splitExternalLocalOriginErrors: connect failures and timeouts then count only here.
  bool split_local_origin = false;
  uint32_t consecutive_local_origin_failures = 5;
  ms interval{10'000};
  ms base_ejection_time{30'000};
  // Envoy's max_ejection_time (not settable from Istio): 300 s or the base time, if longer.
  ms max_ejection_time{300'000};
  // Percent of the set that may be ejected at once (Envoy's default 10; Istio passes only
  // values above 0). A host is ejected only if 100 x (ejected + 1) / endpoints stays within it,
  // so with the default 10 and fewer than 10 endpoints nothing is ejected, as in Envoy.
  uint32_t max_ejection_percent = 10;
  // The panic threshold: below this percentage of usable endpoints, all endpoints are used
  // (ejections ignored). Istio's default 0 never panics.
  uint32_t min_health_percent = 0;
};

// nullopt when the policy has no outlierDetection block: no detection at all (Istio sets no
// Envoy outlier_detection then). The deprecated consecutiveErrors and the new
// outlierDetectionHttpErrorCodes are not used, as in Istio's applyOutlierDetection.
std::optional<OutlierConfig> outlier_config(const std::optional<state::OutlierDetection>& od);

}  // namespace zmesh::upstream
