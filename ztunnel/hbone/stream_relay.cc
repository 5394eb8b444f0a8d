#include "hbone/stream_relay.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <vector>

#include "hbone/stream_impl.h"
#include "hbone/tuning.h"

namespace zmesh::hbone {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Shared by both directions; the last one to finish reports.
struct Relay {
  tcp::socket socket;
  std::shared_ptr<Stream> stream;
  RelayCounters counters;
  std::function<void(const RelayResult&)> done;
  RelayResult result;
  int running = 2;
  RelayDeadline deadline;

  Relay(tcp::socket s, std::shared_ptr<Stream> st, RelayCounters c,
        std::function<void(const RelayResult&)> d)
      : socket(std::move(s)), stream(std::move(st)), counters(c), done(std::move(d)) {}

  // An error ends both directions: closing the socket and resetting the stream wake the
  // other one.
  void fail(const std::string& why) {
    if (result.error.empty()) result.error = why;
    boost::system::error_code ignored;
    socket.close(ignored);
    stream->reset();
  }

  void finish_one() {
    if (--running > 0) return;
    boost::system::error_code ignored;
    socket.close(ignored);
    deadline.cancel();
    if (done) done(result);
  }

  // Bytes moved one way: totals, live counters and the idle clock.
  void moved(std::atomic<uint64_t>* live, uint64_t& total, size_t n) {
    total += n;
    if (live) live->fetch_add(n, std::memory_order_relaxed);
    deadline.touch();
  }
};

// A read that filled the buffer means more was waiting: read more at once next time.
void grow_if_filled(std::vector<uint8_t>& buffer, size_t n) {
  if (n == buffer.size() && buffer.size() < detail::kRelayBuffer) buffer.resize(buffer.size() * 2);
}

// Our own streams take the socket's bytes straight into their send queue.
asio::awaitable<void> socket_to_stream_direct(std::shared_ptr<Relay> relay,
                                              detail::StreamImpl& stream) {
  for (;;) {
    boost::system::error_code ec;
    auto n = co_await stream.write_from(relay->socket, ec);
    if (!n) {
      relay->fail("stream write: " + n.error().message);
      co_return;
    }
    if (ec == asio::error::eof) {
      relay->stream->close_write();  // TCP half-close -> END_STREAM
      co_return;
    }
    if (ec) {
      if (ec != asio::error::operation_aborted) relay->fail("socket read: " + ec.message());
      co_return;
    }
    relay->moved(relay->counters.client_to_upstream, relay->result.client_to_upstream, *n);
  }
}

asio::awaitable<void> socket_to_stream(std::shared_ptr<Relay> relay) {
  if (auto* ours = dynamic_cast<detail::StreamHandle*>(relay->stream.get()))
    co_return co_await socket_to_stream_direct(relay, ours->impl());
  std::vector<uint8_t> buffer(detail::kInitialBuffer);
  for (;;) {
    boost::system::error_code ec;
    size_t n = co_await relay->socket.async_read_some(
        asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof) {
      relay->stream->close_write();  // TCP half-close -> END_STREAM
      co_return;
    }
    if (ec) {
      if (ec != asio::error::operation_aborted) relay->fail("socket read: " + ec.message());
      co_return;
    }
    auto written = co_await relay->stream->write(asio::buffer(buffer.data(), n));
    if (!written) {
      relay->fail("stream write: " + written.error().message);
      co_return;
    }
    relay->moved(relay->counters.client_to_upstream, relay->result.client_to_upstream, n);
    grow_if_filled(buffer, n);
  }
}

// Our own streams send received bytes straight to the socket.
asio::awaitable<void> stream_to_socket_direct(std::shared_ptr<Relay> relay,
                                              detail::StreamImpl& stream) {
  Relay* r = relay.get();  // the frame's `relay` keeps it alive while `stream` may count
  boost::system::error_code ec;
  auto delivered = co_await stream.deliver_to(
      relay->socket,
      [r](size_t n) { r->moved(r->counters.upstream_to_client, r->result.upstream_to_client, n); },
      ec);
  if (!delivered) {
    relay->fail("stream read: " + delivered.error().message);
  } else if (ec) {
    if (ec != asio::error::operation_aborted) relay->fail("socket write: " + ec.message());
  } else {  // END_STREAM -> TCP half-close
    boost::system::error_code ignored;
    relay->socket.shutdown(tcp::socket::shutdown_send, ignored);
  }
}

asio::awaitable<void> stream_to_socket(std::shared_ptr<Relay> relay) {
  if (auto* ours = dynamic_cast<detail::StreamHandle*>(relay->stream.get()))
    co_return co_await stream_to_socket_direct(relay, ours->impl());
  std::vector<uint8_t> buffer(detail::kInitialBuffer);
  for (;;) {
    auto n = co_await relay->stream->read_some(asio::buffer(buffer));
    if (!n) {
      relay->fail("stream read: " + n.error().message);
      co_return;
    }
    if (*n == 0) {  // END_STREAM -> TCP half-close
      boost::system::error_code ignored;
      relay->socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    boost::system::error_code ec;
    co_await asio::async_write(relay->socket, asio::buffer(buffer.data(), *n),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec != asio::error::operation_aborted) relay->fail("socket write: " + ec.message());
      co_return;
    }
    relay->moved(relay->counters.upstream_to_client, relay->result.upstream_to_client, *n);
    grow_if_filled(buffer, *n);
  }
}

}  // namespace

void start_stream_relay(tcp::socket socket, std::shared_ptr<Stream> stream, RelayCounters counters,
                        std::function<void(const RelayResult&)> done, RelayLimits limits) {
  auto relay =
      std::make_shared<Relay>(std::move(socket), std::move(stream), counters, std::move(done));
  auto executor = relay->socket.get_executor();
  relay->deadline.start(executor, limits,
                        [weak = std::weak_ptr<Relay>(relay)](const std::string& why) {
                          if (auto r = weak.lock()) r->fail(why);
                        });
  asio::co_spawn(executor, socket_to_stream(relay),
                 [relay](std::exception_ptr) { relay->finish_one(); });
  asio::co_spawn(executor, stream_to_socket(relay),
                 [relay](std::exception_ptr) { relay->finish_one(); });
}

}  // namespace zmesh::hbone
