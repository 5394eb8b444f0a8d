#include "common/duration.h"

#include <fmt/format.h>

#include <cctype>
#include <string_view>

namespace zmesh {

Result<std::chrono::seconds> parse_duration(const std::string& text) {
  using namespace std::chrono;
  const std::string_view t(text);
  if (t.empty()) return make_error("empty duration");
  milliseconds total{0};
  size_t i = 0;
  while (i < t.size()) {
    size_t digits = i;
    long long n = 0;
    while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits])))
      n = n * 10 + (t[digits++] - '0');
    if (digits == i)
      return make_error(fmt::format("bad duration \"{}\" (expected e.g. 90s, 5m, 24h)", t));
    if (digits - i > 9) return make_error(fmt::format("duration \"{}\" is too large", t));
    size_t unit_end = digits;
    while (unit_end < t.size() && std::isalpha(static_cast<unsigned char>(t[unit_end]))) ++unit_end;
    std::string_view unit = t.substr(digits, unit_end - digits);
    if (unit.empty() && i == 0 && unit_end == t.size()) unit = "s";  // a bare number
    if (unit == "ms")
      total += milliseconds(n);
    else if (unit == "s")
      total += seconds(n);
    else if (unit == "m")
      total += minutes(n);
    else if (unit == "h")
      total += hours(n);
    else
      return make_error(fmt::format("bad duration unit in \"{}\" (ms, s, m, h)", t));
    i = unit_end;
  }
  auto secs = duration_cast<seconds>(total + milliseconds(999));
  if (secs.count() <= 0) return make_error(fmt::format("duration \"{}\" must be positive", t));
  return secs;
}

}  // namespace zmesh
