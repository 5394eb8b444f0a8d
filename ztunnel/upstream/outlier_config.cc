#include "upstream/outlier_config.h"

#include <algorithm>

namespace zmesh::upstream {

std::optional<OutlierConfig> outlier_config(const std::optional<state::OutlierDetection>& od) {
  if (!od) return std::nullopt;
  OutlierConfig out;
  if (od->consecutive_5xx_errors) out.consecutive_5xx = *od->consecutive_5xx_errors;
  if (od->consecutive_gateway_errors)
    out.consecutive_gateway_errors = *od->consecutive_gateway_errors;
  if (od->interval) out.interval = *od->interval;
  if (od->base_ejection_time) out.base_ejection_time = *od->base_ejection_time;
  out.max_ejection_time = std::max(out.max_ejection_time, out.base_ejection_time);
  if (od->max_ejection_percent && *od->max_ejection_percent > 0) {
    out.max_ejection_percent = std::min<uint32_t>(100, *od->max_ejection_percent);
  }
  if (od->split_external_local_origin_errors.value_or(false)) {
    out.split_local_origin = true;
    if (od->consecutive_local_origin_failures.value_or(0) > 0) {
      out.consecutive_local_origin_failures = *od->consecutive_local_origin_failures;
    }
  }
  if (od->min_health_percent && *od->min_health_percent > 0) {
    out.min_health_percent = std::min<uint32_t>(100, *od->min_health_percent);
  }
  return out;
}

}  // namespace zmesh::upstream
