// Idle and lifetime limits of a byte relay (a DestinationRule's tcp.idleTimeout and
// tcp.maxConnectionDuration), shared by the splice relay and the HBONE stream relay.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace zmesh {

// Lets code outside a relay end it (the inbound policy re-check closing a connection a new
// policy denies). The relay binds it while it runs; close() after that does nothing.
class RelayCloser {
 public:
  void close(const std::string& why) {
    if (fire_) fire_(why);
  }
  void bind(std::function<void(const std::string&)> fire) { fire_ = std::move(fire); }

 private:
  std::function<void(const std::string&)> fire_;
};

// What may end a relay early. Both sides are closed once no byte moved either way for
// `idle_timeout`, `max_duration` after the start, or when `closer` is told to.
struct RelayLimits {
  std::optional<std::chrono::milliseconds> idle_timeout;
  std::optional<std::chrono::milliseconds> max_duration;
  std::shared_ptr<RelayCloser> closer;

  bool timed() const { return idle_timeout || max_duration; }
};

// One timer per relay, woken only at the next deadline: progress just stamps a time, so the
// hot path pays a clock read and nothing when the relay has no limits. It also binds the
// limits' closer to the same end.
class RelayDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  // `expired(reason)` runs on `executor` when a limit passes ("idle timeout", "max connection
  // duration reached") or the closer is told to, never after cancel() or destruction. No-op
  // without limits.
  void start(const boost::asio::any_io_executor& executor, RelayLimits limits,
             std::function<void(const std::string&)> expired);
  void touch() {
    if (state_) state_->last_activity = Clock::now();
  }
  void cancel();
  ~RelayDeadline() { cancel(); }
  RelayDeadline() = default;
  RelayDeadline(const RelayDeadline&) = delete;
  RelayDeadline& operator=(const RelayDeadline&) = delete;

 private:
  // Shared with the pending wait, so a completion already queued when the relay goes away
  // still finds it.
  struct State {
    explicit State(const boost::asio::any_io_executor& executor) : timer(executor) {}
    RelayLimits limits;
    boost::asio::steady_timer timer;
    Clock::time_point started, last_activity;
    std::function<void(const std::string&)> expired;
  };
  static void arm(const std::shared_ptr<State>& state);

  std::shared_ptr<State> state_;
  std::shared_ptr<RelayCloser> closer_;  // kept alive by the relay: watchers hold weak refs
};

}  // namespace zmesh
