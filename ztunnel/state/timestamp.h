// Kubernetes timestamps (metadata.creationTimestamp): RFC 3339 text <-> a UTC time point.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace zmesh::state {

// Microseconds since the epoch: covers RFC 3339's years 0000-9999 (nanoseconds would
// overflow before 1678 and after 2262). Kubernetes writes whole seconds anyway.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// What Go's time.Parse(time.RFC3339, s) accepts (metav1.Time's decoder):
// "2006-01-02T15:04:05Z", optional fraction (".5" or ",5"; digits past microseconds are
// dropped), "Z" or a "+hh:mm"/"-hh:mm" offset. Dates are checked (no Feb 30), seconds are
// 0-59. nullopt when not valid.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

// "2024-05-01T12:00:00Z", with a fraction only when there is one ("...:00.25Z").
std::string format_rfc3339(Timestamp t);

}  // namespace zmesh::state
