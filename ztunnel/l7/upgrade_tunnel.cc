#include "l7/upgrade_tunnel.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

#include "h2/signal.h"

namespace zmesh::l7 {
namespace asio = boost::asio;
using asio::ip::tcp;

asio::awaitable<RelayResult> run_upgrade_tunnel(tcp::socket client,
                                                boost::beast::flat_buffer& client_buffer,
                                                Response& switching, UpstreamConnection& upstream) {
  RelayResult result;
  boost::system::error_code ec;
  // The 101 as the upstream sent it (its Connection: Upgrade and Upgrade are the point).
  co_await http::async_write(client, static_cast<http::response<http::string_body>&>(switching),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (!ec && upstream.buffer.size() > 0) {
    result.upstream_to_client += upstream.buffer.size();
    co_await asio::async_write(client, upstream.buffer.data(),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) {
    result.error = "downstream write: " + ec.message();
    co_return result;
  }
  if (client_buffer.size() > 0) {
    auto sent = co_await upstream.channel->write(client_buffer.data());
    if (!sent) {
      result.error = sent.error().message;
      co_return result;
    }
    result.client_to_upstream += client_buffer.size();
    client_buffer.consume(client_buffer.size());
  }

  // The relay reports through a callback; this frame waits for it.
  h2::Signal finished(co_await asio::this_coro::executor);
  auto relayed = std::make_shared<std::optional<RelayResult>>();
  auto channel = std::move(upstream.channel);
  channel->relay(std::move(client), {}, [relayed, &finished](const RelayResult& r) {
    *relayed = r;
    finished.notify();
  });
  while (!*relayed) co_await finished.wait();
  result.client_to_upstream += (*relayed)->client_to_upstream;
  result.upstream_to_client += (*relayed)->upstream_to_client;
  result.error = (*relayed)->error;
  co_return result;
}

}  // namespace zmesh::l7
