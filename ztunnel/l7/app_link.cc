#include "l7/app_link.h"

#include <boost/asio/this_coro.hpp>

#include "transport/connection.h"

namespace zmesh::l7 {
namespace asio = boost::asio;

asio::awaitable<Result<std::unique_ptr<transport::UpstreamChannel>>> AppLink::dial() {
  auto socket = co_await transport::dial(ctx_, *pod_, app_);
  if (!socket) co_return socket.error();
  co_return transport::tcp_channel(std::move(*socket));
}

asio::awaitable<AppReply> AppLink::send_http1(const Request& request, bool head, bool upgrade) {
  AppReply r;
  const std::string wire = serialize(request);
  for (int fresh = 0; fresh < 2; ++fresh) {
    const bool reused = http1_ != nullptr;
    if (!http1_) {
      auto channel = co_await dial();
      if (!channel) {
        r.flags = "UF";
        r.error = "app connect: " + channel.error().message;
        co_return r;
      }
      http1_ = std::make_unique<UpstreamConnection>();
      http1_->channel = std::move(*channel);
    }
    bool any_bytes = false;
    auto reply = co_await exchange(*http1_, wire, head, any_bytes);
    if (!reply) {
      http1_.reset();
      // A kept-alive connection the app closed while idle: once more on a fresh one.
      if (reused && !any_bytes) continue;
      r.flags = "UC";
      r.error = "app: " + reply.error().message;
      co_return r;
    }
    if (reply->response.result_int() == 101) {
      if (upgrade) r.tunnel = std::move(http1_);
      http1_.reset();
    } else if (!reply->reusable) {
      http1_.reset();
    }
    r.response = std::move(reply->response);
    co_return r;
  }
  co_return r;  // not reached
}

asio::awaitable<AppReply> AppLink::send_http2(const Request& request, bool head) {
  AppReply r;
  if (!http2_ || http2_->closed() || !http2_->accepting()) {
    // Made before the dial, so streams that arrive meanwhile wait for this one connection.
    auto connection = std::make_shared<H2UpstreamConnection>(co_await asio::this_coro::executor);
    http2_ = connection;
    auto channel = co_await dial();
    if (!channel)
      connection->fail("app connect: " + channel.error().message);
    else
      connection->start(std::move(*channel));
  }
  auto connection = http2_;  // this request's, even if another replaces it meanwhile
  if (!co_await connection->wait_ready(std::nullopt)) {
    r.flags = "UF";
    r.error = connection->error().empty() ? "app connect failed" : connection->error();
    co_return r;
  }
  connection->lease();
  auto exchanged = co_await connection->exchange(request, head, std::nullopt);
  connection->unlease();
  if (exchanged.end != H2Exchange::End::kResponse) {
    r.flags = exchanged.end == H2Exchange::End::kConnectFailure ? "UF" : "UC";
    r.error = "app: " + (exchanged.error.empty() ? std::string("stream reset") : exchanged.error);
    co_return r;
  }
  r.response = std::move(exchanged.response);
  co_return r;
}

}  // namespace zmesh::l7
