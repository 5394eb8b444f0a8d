// A wake-up for coroutines on one executor (Asio 1.74 has no channel/condition): wait()
// suspends until notify(). Built on a steady_timer that never expires; notify() cancels the
// pending waits. Callers re-check their condition after waking, so spurious wake-ups are fine.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace zmesh::h2 {

class Signal {
 public:
  explicit Signal(const boost::asio::any_io_executor& executor)
      : timer_(executor, boost::asio::steady_timer::time_point::max()) {}

  boost::asio::awaitable<void> wait() {
    ++waiters_;
    boost::system::error_code ignored;
    co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  }

  void notify() {
    if (waiters_ == 0) return;  // cheap when nobody sleeps (the common case on busy paths)
    waiters_ = 0;
    timer_.cancel();
  }

 private:
  boost::asio::steady_timer timer_;
  int waiters_ = 0;
};

}  // namespace zmesh::h2
