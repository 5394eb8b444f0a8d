#include "kube/retry_policy.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <string>

namespace zmesh::kube {

Backoff::ms Backoff::next(double unit_random) {
  auto base = initial_;
  for (unsigned i = 0; i < attempt_ && base < max_; ++i) base *= 2;
  base = std::min(base, max_);
  ++attempt_;
  double factor = 0.8 + 0.4 * std::clamp(unit_random, 0.0, 1.0);
  return ms(static_cast<long>(static_cast<double>(base.count()) * factor));
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  long seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return std::chrono::seconds(seconds);
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  std::string text(value);
  const char* parsed = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (parsed == nullptr || *parsed != '\0') return std::nullopt;
  auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (at <= now) return std::chrono::seconds(0);
  return std::chrono::duration_cast<std::chrono::seconds>(at - now);
}

RetryPlan plan_retry(unsigned status, std::optional<std::chrono::seconds> retry_after,
                     Backoff& backoff, double unit_random) {
  RetryPlan plan;
  plan.relist = status == 410;
  plan.refresh_token = status == 401;
  const bool gone_again = backoff.gone();
  backoff.set_gone(plan.relist);
  if (plan.relist && !gone_again) {
    // A 410 is routine (compaction, or a server back from an outage that compacted meanwhile):
    // list again at once, whatever failed before it. A 410 right after a re-list is not, and
    // backs off like any failure.
    backoff.next(unit_random);
    return plan;
  }
  auto delay = backoff.next(unit_random);
  if (retry_after && (status == 429 || status >= 500)) {
    // "Retry-After: 0" must not make a loop of it either.
    delay = std::clamp<std::chrono::milliseconds>(*retry_after, std::chrono::milliseconds(200),
                                                  std::chrono::minutes(5));
  }
  plan.delay = delay;
  return plan;
}

}  // namespace zmesh::kube
