#include "net/relay_deadline.h"

#include <algorithm>

namespace zmesh {

void RelayDeadline::start(const boost::asio::any_io_executor& executor, RelayLimits limits,
                          std::function<void(const std::string&)> expired) {
  if (limits.closer) {
    closer_ = limits.closer;
    closer_->bind(expired);
  }
  if (!limits.timed()) return;
  state_ = std::make_shared<State>(executor);
  state_->limits = limits;
  state_->expired = std::move(expired);
  state_->started = state_->last_activity = Clock::now();
  arm(state_);
}

void RelayDeadline::cancel() {
  if (closer_) closer_->bind(nullptr);
  if (!state_) return;
  state_->expired = nullptr;
  state_->timer.cancel();
}

void RelayDeadline::arm(const std::shared_ptr<State>& state) {
  const auto& limits = state->limits;
  auto due = Clock::time_point::max();
  if (limits.idle_timeout) due = state->last_activity + *limits.idle_timeout;
  if (limits.max_duration) due = std::min(due, state->started + *limits.max_duration);
  state->timer.expires_at(due);
  state->timer.async_wait([state](boost::system::error_code ec) {
    if (ec || !state->expired) return;
    const auto& limits = state->limits;
    auto now = Clock::now();
    if (limits.max_duration && now >= state->started + *limits.max_duration) {
      auto expired = std::move(state->expired);
      expired("max connection duration reached");
    } else if (limits.idle_timeout && now >= state->last_activity + *limits.idle_timeout) {
      auto expired = std::move(state->expired);
      expired("idle timeout");
    } else {
      arm(state);
    }
  });
}

}  // namespace zmesh
