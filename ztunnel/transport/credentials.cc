#include "transport/credentials.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace zmesh::transport {
namespace asio = boost::asio;

asio::awaitable<std::shared_ptr<const identity::TlsCredentials>> pod_credentials(
    const identity::IdentitySlot* slot, std::chrono::milliseconds wait) {
  if (!slot) co_return nullptr;
  if (auto creds = slot->current()) co_return creds;  // the normal case: no waiting
  // Polling is fine here: it only happens in the first moments after enrollment.
  auto deadline = std::chrono::steady_clock::now() + wait;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(asio::use_awaitable);
    if (auto creds = slot->current()) co_return creds;
  }
  co_return nullptr;
}

}  // namespace zmesh::transport
