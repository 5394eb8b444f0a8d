#include "net/resolve.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

namespace zmesh {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A timer cancels the lookup. Its handler may run after we returned (it was already queued),
// hence the weak_ptr.
asio::awaitable<Result<tcp::resolver::results_type>> resolve(
    asio::any_io_executor executor, std::string host, std::string port,
    std::chrono::steady_clock::time_point deadline) {
  auto resolver = std::make_shared<tcp::resolver>(executor);
  asio::steady_timer watchdog(executor, deadline);
  watchdog.async_wait(
      [weak = std::weak_ptr<tcp::resolver>(resolver)](boost::system::error_code ec) {
        if (auto r = weak.lock(); r && !ec) r->cancel();
      });
  boost::system::error_code ec;
  auto results =
      co_await resolver->async_resolve(host, port, asio::redirect_error(asio::use_awaitable, ec));
  watchdog.cancel();
  if (ec == asio::error::operation_aborted) co_return make_error("resolve " + host + ": timed out");
  if (ec) co_return make_error("resolve " + host + ": " + ec.message());
  co_return results;
}

}  // namespace zmesh
