// A wake-up with a deadline for coroutines on one executor (h2::Signal has no deadline): wait()
// suspends until notify() or the deadline. Each waiter sleeps on its own timer, which notify()
// cancels. Callers re-check their condition after waking.
#pragma once

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <optional>
#include <vector>

namespace zmesh::h2 {

class DeadlineSignal {
 public:
  using Clock = std::chrono::steady_clock;

  // false once `deadline` has passed (nullopt: none).
  boost::asio::awaitable<bool> wait(std::optional<Clock::time_point> deadline) {
    if (deadline && Clock::now() >= *deadline) co_return false;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor,
                                    deadline.value_or(Clock::time_point::max()));
    Registration registration(waiters_, &timer);
    boost::system::error_code ignored;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    co_return !deadline || Clock::now() < *deadline;
  }

  void notify() {
    for (auto* timer : waiters_) timer->cancel();
  }

 private:
  // Unlisted however the wait ends (a coroutine frame destroyed while suspended included).
  struct Registration {
    Registration(std::vector<boost::asio::steady_timer*>& list, boost::asio::steady_timer* t)
        : list(list), timer(t) {
      list.push_back(t);
    }
    ~Registration() { list.erase(std::find(list.begin(), list.end(), timer)); }
    std::vector<boost::asio::steady_timer*>& list;
    boost::asio::steady_timer* timer;
  };
  std::vector<boost::asio::steady_timer*> waiters_;
};

}  // namespace zmesh::h2
