// Durations on command lines: "90s", "5m", "24h", "1h30m", "500ms" (rounded up to whole
// seconds); a bare number is seconds. Positive only.
#pragma once

#include <chrono>
#include <string>

#include "common/result.h"

namespace zmesh {

Result<std::chrono::seconds> parse_duration(const std::string& text);

}  // namespace zmesh
