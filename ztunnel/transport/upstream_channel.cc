#include "transport/upstream_channel.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "hbone/stream_relay.h"
#include "routing/outbound_plan.h"
#include "transport/connection.h"
#include "transport/hbone_outbound.h"
#include "transport/splice_relay.h"

namespace zmesh::transport {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

class TcpChannel final : public UpstreamChannel {
 public:
  explicit TcpChannel(tcp::socket s) : socket_(std::move(s)) {
    // An HTTP/2 connection writes small frames (HEADERS, WINDOW_UPDATE) while others are
    // unacknowledged: Nagle would hold them back for the peer's delayed ACK.
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
  }
  ~TcpChannel() override {
    boost::system::error_code ec;
    socket_.close(ec);
  }

  asio::awaitable<Result<size_t>> read_some(asio::mutable_buffer buffer) override {
    boost::system::error_code ec;
    size_t n =
        co_await socket_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof) co_return size_t{0};
    if (ec) co_return make_error("upstream read: " + ec.message());
    co_return n;
  }

  asio::awaitable<Result<void>> write(asio::const_buffer buffer) override {
    boost::system::error_code ec;
    co_await asio::async_write(socket_, buffer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return make_error("upstream write: " + ec.message());
    co_return ok();
  }

  void abort() override {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.cancel(ec);
  }

  void close_write() override {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }

  void relay(tcp::socket client, RelayCounters counters,
             std::function<void(const RelayResult&)> done) override {
    transport::start_splice_relay(std::move(client), std::move(socket_), counters, std::move(done));
  }

 private:
  tcp::socket socket_;
};

class HboneChannel final : public UpstreamChannel {
 public:
  explicit HboneChannel(std::shared_ptr<hbone::Stream> s) : stream_(std::move(s)) {}
  ~HboneChannel() override {  // an idle tunnel has nothing left to say
    if (stream_ && !closed_) stream_->reset();
  }

  asio::awaitable<Result<size_t>> read_some(asio::mutable_buffer buffer) override {
    co_return co_await stream_->read_some(buffer);
  }
  asio::awaitable<Result<void>> write(asio::const_buffer buffer) override {
    co_return co_await stream_->write(buffer);
  }
  void abort() override { stream_->reset(); }
  void close_write() override {
    closed_ = true;  // END_STREAM after what is queued; the session ends the stream
    stream_->close_write();
  }

  void relay(tcp::socket client, RelayCounters counters,
             std::function<void(const RelayResult&)> done) override {
    hbone::start_stream_relay(std::move(client), std::move(stream_), counters, std::move(done));
  }

 private:
  std::shared_ptr<hbone::Stream> stream_;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<UpstreamChannel> tcp_channel(tcp::socket socket) {
  return std::make_unique<TcpChannel>(std::move(socket));
}

std::unique_ptr<UpstreamChannel> hbone_channel(std::shared_ptr<hbone::Stream> stream) {
  return std::make_unique<HboneChannel>(std::move(stream));
}

asio::awaitable<Result<std::unique_ptr<UpstreamChannel>>> open_channel(
    transport::ProxyContext& ctx, transport::WorkerState& worker,
    std::shared_ptr<const transport::PodNetns> pod, const state::Backend& backend,
    tcp::endpoint target, transport::ConnectionPeers& peers,
    const upstream::ConnectionSettings& settings) {
  // The outbound plan's rule (routing::transport_to): HBONE to a workload in the mesh.
  if (routing::transport_to(backend.workload.get()) == routing::Transport::kHbone) {
    // connectTimeout bounds the TCP connect inside the pool (the dial itself times out, so no
    // open is ever abandoned half way).
    auto stream = co_await transport::open_hbone_stream(
        ctx, worker, std::move(pod), *backend.workload, target, peers, settings.connect_timeout);
    if (!stream) co_return stream.error();
    co_return hbone_channel(std::move(*stream));
  }
  auto socket = co_await transport::dial(ctx, *pod, target, settings.connect_timeout);
  if (!socket) co_return socket.error();
  if (settings.keepalive) transport::set_keepalive(*socket, *settings.keepalive);
  co_return tcp_channel(std::move(*socket));
}

}  // namespace zmesh::transport
