#include "proxy/sni_peek.h"

#include <sys/socket.h>

#include <array>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "route/client_hello.h"

namespace zmesh::proxy {
namespace asio = boost::asio;

asio::awaitable<std::optional<std::string>> peek_sni(asio::ip::tcp::socket& client,
                                                     std::chrono::milliseconds budget) {
  using Clock = std::chrono::steady_clock;
  using State = route::ClientHelloSni::State;
  const auto deadline = Clock::now() + budget;
  auto buffer = std::make_unique<std::array<uint8_t, 16384>>();
  auto executor = co_await asio::this_coro::executor;
  ssize_t seen = 0;
  while (Clock::now() < deadline) {
    // Wait for bytes beyond those already peeked: readable, or a short pause when the bytes
    // waiting are the ones we saw (a peek leaves the socket readable).
    boost::system::error_code ec;
    if (seen == 0) {
      asio::steady_timer guard(executor, deadline);
      guard.async_wait([&client](boost::system::error_code e) {
        if (!e) client.cancel();
      });
      co_await client.async_wait(asio::ip::tcp::socket::wait_read,
                                 asio::redirect_error(asio::use_awaitable, ec));
      guard.cancel();
      if (ec) co_return std::nullopt;
    } else {
      asio::steady_timer pause(executor, std::chrono::milliseconds(2));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    ssize_t n =
        ::recv(client.native_handle(), buffer->data(), buffer->size(), MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) co_return std::nullopt;  // closed before saying anything
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      co_return std::nullopt;
    }
    if (n == seen) continue;
    seen = n;
    auto parsed = route::parse_client_hello_sni({buffer->data(), static_cast<size_t>(n)});
    if (parsed.state == State::kDone) co_return parsed.server_name;
    if (parsed.state == State::kNotTls || static_cast<size_t>(n) == buffer->size())
      co_return std::nullopt;
  }
  co_return std::nullopt;
}

}  // namespace zmesh::proxy
