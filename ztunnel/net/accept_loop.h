// The accept loop every listener shares: hand each new socket to `on_accept`, stop when the
// acceptor is closed, and back off on errors such as EMFILE instead of spinning on them.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace zmesh {

template <typename Acceptor, typename OnAccept>
// `on_accept` is taken by reference (keep it in a named variable in the caller): GCC 12
// mishandles the destruction of by-value lambda parameters of coroutines.
boost::asio::awaitable<void> accept_loop(Acceptor& acceptor, OnAccept& on_accept) {
  namespace asio = boost::asio;
  auto executor = co_await asio::this_coro::executor;
  for (;;) {
    boost::system::error_code ec;
    typename Acceptor::protocol_type::socket socket(executor);
    co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      asio::steady_timer backoff(executor, std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!acceptor.is_open()) co_return;
      continue;
    }
    on_accept(std::move(socket));
  }
}

}  // namespace zmesh
