// start_stream_relay at both ends of an HBONE tunnel, the way ztunnel uses it:
//   app --TCP--> [relay: socket -> pool stream] ==HBONE/TLS==> [server stream -> relay] --TCP-->
//   upstream
// Bytes arrive intact both ways, half-close crosses the tunnel in both directions, an error
// on one side ends the relay on the other, and the client relay's idle and lifetime limits
// (a DestinationRule's tcp.idleTimeout, tcp.maxConnectionDuration) end both.
#include <sys/socket.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <random>

#include "hbone/stream_relay.h"
#include "hbone_test_env.h"

namespace zmesh::hbone::test {
namespace {

struct RelayLog {
  bool client_done = false, server_done = false;
  RelayResult client, server;
};

// Server side of the tunnel: connect to the requested target and relay.
asio::awaitable<void> relay_to_target(std::shared_ptr<Stream> stream,
                                      std::shared_ptr<RelayLog> log) {
  auto socket = co_await dial_loopback(stream->request().target);
  if (!socket) {
    stream->respond(503);
    co_return;
  }
  stream->respond(200);
  start_stream_relay(std::move(*socket), stream, {}, [log](const RelayResult& r) {
    log->server = r;
    log->server_done = true;
  });
}

// Client side: accept the app's connection and relay it through the pool.
asio::awaitable<void> relay_from_app(tcp::acceptor& app_listener, ConnectionPool& pool, PoolKey key,
                                     ConnectOptions options, tcp::endpoint target,
                                     std::shared_ptr<RelayLog> log, RelayCounters counters,
                                     RelayLimits limits) {
  tcp::socket socket = co_await app_listener.async_accept(asio::use_awaitable);
  auto stream = co_await pool.connect(key, options, request_to(target));
  if (!stream) {
    ADD_FAILURE() << stream.error().message;
    co_return;
  }
  start_stream_relay(
      std::move(socket), *stream, counters,
      [log](const RelayResult& r) {
        log->client = r;
        log->client_done = true;
      },
      limits);
}

asio::awaitable<void> echo_tcp(tcp::acceptor& acceptor) {
  tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
  std::vector<char> buf(256 * 1024);
  boost::system::error_code ec;
  for (;;) {
    size_t n = co_await socket.async_read_some(asio::buffer(buf),
                                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    co_await asio::async_write(socket, asio::buffer(buf.data(), n), asio::use_awaitable);
  }
  if (ec == asio::error::eof) socket.shutdown(tcp::socket::shutdown_send);
}

asio::awaitable<void> send_and_half_close(tcp::socket& socket, const std::string& data) {
  co_await asio::async_write(socket, asio::buffer(data), asio::use_awaitable);
  socket.shutdown(tcp::socket::shutdown_send);
}

// Reads to EOF; `clean` says whether it was EOF (not an error).
asio::awaitable<std::string> read_to_end(tcp::socket& socket, bool* clean = nullptr) {
  std::string out;
  std::vector<char> buf(256 * 1024);
  boost::system::error_code ec;
  while (!ec) {
    size_t n = co_await socket.async_read_some(asio::buffer(buf),
                                               asio::redirect_error(asio::use_awaitable, ec));
    out.append(buf.data(), n);
  }
  if (clean) *clean = ec == asio::error::eof;
  co_return out;
}

std::string random_bytes(size_t n) {
  std::mt19937_64 rng(7);
  std::string s(n, '\0');
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&s[i], &v, 8);
  }
  return s;
}

// The tunnel around an upstream listener; the app connects to `app_endpoint`.
struct Tunnel {
  HboneEnv& env;
  std::shared_ptr<RelayLog> log = std::make_shared<RelayLog>();
  tcp::acceptor upstream{env.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  tcp::acceptor app_listener{env.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  ConnectionPool pool{env.io.get_executor(), {}};
  std::atomic<uint64_t> up{0}, down{0};

  explicit Tunnel(HboneEnv& e, RelayLimits client_limits = {}) : env(e) {
    auto server = env.start_server(
        {}, [log = log](std::shared_ptr<Stream> s) { return relay_to_target(std::move(s), log); });
    asio::co_spawn(env.io,
                   relay_from_app(app_listener, pool, PoolKey{"spiffe://t/sa/app#1", server},
                                  env.connect_options(), upstream.local_endpoint(), log,
                                  {&up, &down}, client_limits),
                   asio::detached);
  }
  tcp::endpoint app_endpoint() const { return app_listener.local_endpoint(); }

  asio::awaitable<void> wait_both_done() {
    for (int i = 0; i < 500 && !(log->client_done && log->server_done); ++i)
      co_await sleep_for(10ms);
  }
};

TEST(HboneRelay, SixteenMiBEachWayArriveIntact) {
  HboneEnv env;
  Tunnel tunnel(env);
  asio::co_spawn(env.io, echo_tcp(tunnel.upstream), asio::detached);
  const std::string data = random_bytes((16 << 20) + 12345);
  env.run(
      [&]() -> asio::awaitable<void> {
        auto app = co_await dial_loopback(tunnel.app_endpoint());
        CO_ASSERT_TRUE(app.ok());
        // The app half-closes after sending; the echo's reply must still come back whole.
        asio::co_spawn(env.io, send_and_half_close(*app, data), asio::detached);
        bool clean = false;
        std::string echoed = co_await read_to_end(*app, &clean);
        EXPECT_TRUE(clean) << "the upstream's half-close did not come back as EOF";
        EXPECT_EQ(echoed.size(), data.size());
        EXPECT_TRUE(echoed == data) << "echoed bytes differ";

        co_await tunnel.wait_both_done();
        auto& log = *tunnel.log;
        EXPECT_TRUE(log.client_done && log.server_done);
        EXPECT_EQ(log.client.error, "");
        EXPECT_EQ(log.server.error, "");
        EXPECT_EQ(log.client.client_to_upstream, data.size());
        EXPECT_EQ(log.client.upstream_to_client, data.size());
        EXPECT_EQ(log.server.client_to_upstream, data.size());  // stream -> upstream socket
        EXPECT_EQ(log.server.upstream_to_client, data.size());
        EXPECT_EQ(tunnel.up.load(), data.size());
        EXPECT_EQ(tunnel.down.load(), data.size());
      },
      30s);
}

// The upstream talks first and half-closes; the app answers after seeing EOF.
asio::awaitable<void> banner_then_listen(tcp::acceptor& acceptor, std::string& heard) {
  tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
  co_await send_and_half_close(socket, "banner");
  heard = co_await read_to_end(socket);
}

TEST(HboneRelay, UpstreamHalfCloseReachesTheAppAndTheAppCanStillSend) {
  HboneEnv env;
  Tunnel tunnel(env);
  std::string heard;
  asio::co_spawn(env.io, banner_then_listen(tunnel.upstream, heard), asio::detached);
  env.run([&]() -> asio::awaitable<void> {
    auto app = co_await dial_loopback(tunnel.app_endpoint());
    CO_ASSERT_TRUE(app.ok());
    bool clean = false;
    EXPECT_EQ(co_await read_to_end(*app, &clean), "banner");
    EXPECT_TRUE(clean);
    co_await send_and_half_close(*app, "reply after EOF");
    co_await tunnel.wait_both_done();
    EXPECT_EQ(heard, "reply after EOF");
    EXPECT_EQ(tunnel.log->client.error, "");
    EXPECT_EQ(tunnel.log->server.error, "");
  });
}

// The upstream sends `data` at once and half-closes.
asio::awaitable<void> send_all_then_close(tcp::acceptor& acceptor, const std::string& data) {
  tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
  co_await send_and_half_close(socket, data);
  co_await read_to_end(socket);
}

// The relay sends received DATA straight to the app's socket; when the app does not read,
// the socket fills, the rest waits in the stream's queue (and flow control holds the
// sender), and it must follow in order once the app reads.
TEST(HboneRelay, AppThatReadsLateGetsEveryByteInOrder) {
  HboneEnv env;
  Tunnel tunnel(env);
  const std::string data = random_bytes((8 << 20) + 777);
  asio::co_spawn(env.io, send_all_then_close(tunnel.upstream, data), asio::detached);
  env.run(
      [&]() -> asio::awaitable<void> {
        auto app = co_await dial_loopback(tunnel.app_endpoint());
        CO_ASSERT_TRUE(app.ok());
        app->set_option(asio::socket_base::receive_buffer_size(64 * 1024));
        co_await asio::async_write(*app, asio::buffer("go", 2), asio::use_awaitable);
        co_await sleep_for(300ms);  // far more than the socket buffers hold is sent meanwhile
        bool clean = false;
        std::string got = co_await read_to_end(*app, &clean);
        EXPECT_TRUE(clean);
        EXPECT_EQ(got.size(), data.size());
        EXPECT_TRUE(got == data) << "bytes lost or reordered";
        app->shutdown(tcp::socket::shutdown_send);
        co_await tunnel.wait_both_done();
        EXPECT_EQ(tunnel.log->client.error, "");
        EXPECT_EQ(tunnel.log->client.upstream_to_client, data.size());
        EXPECT_EQ(tunnel.down.load(), data.size());
      },
      30s);
}

// The upstream aborts (RST) after the first bytes.
asio::awaitable<void> abort_after_first_read(tcp::acceptor& acceptor) {
  tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
  char buf[16];
  co_await socket.async_read_some(asio::buffer(buf), asio::use_awaitable);
  socket.set_option(asio::socket_base::linger(true, 0));
  socket.close();
}

TEST(HboneRelay, UpstreamAbortEndsBothRelaysWithAnError) {
  HboneEnv env;
  Tunnel tunnel(env);
  asio::co_spawn(env.io, abort_after_first_read(tunnel.upstream), asio::detached);
  env.run([&]() -> asio::awaitable<void> {
    auto app = co_await dial_loopback(tunnel.app_endpoint());
    CO_ASSERT_TRUE(app.ok());
    co_await asio::async_write(*app, asio::buffer("hello"), asio::use_awaitable);
    bool clean = true;
    co_await read_to_end(*app, &clean);  // ends: the app's connection is closed
    co_await tunnel.wait_both_done();
    EXPECT_TRUE(tunnel.log->server_done && tunnel.log->client_done);
    EXPECT_NE(tunnel.log->server.error, "");
    EXPECT_NE(tunnel.log->client.error, "") << "the stream's reset must reach the client relay";
  });
}

// Echoes `count` bytes one at a time, `gap` apart; then waits for the tunnel to end.
asio::awaitable<void> trickle(tcp::socket& app, int count, std::chrono::milliseconds gap) {
  for (int i = 0; i < count; ++i) {
    co_await asio::async_write(app, asio::buffer("x", 1), asio::use_awaitable);
    char c;
    co_await asio::async_read(app, asio::buffer(&c, 1), asio::use_awaitable);
    co_await sleep_for(gap);
  }
}

TEST(HboneRelay, IdleTimeoutEndsTheTunnelOnlyOnceTrafficStops) {
  HboneEnv env;
  Tunnel tunnel(env, RelayLimits{300ms, std::nullopt, nullptr});
  asio::co_spawn(env.io, echo_tcp(tunnel.upstream), asio::detached);
  env.run([&]() -> asio::awaitable<void> {
    auto app = co_await dial_loopback(tunnel.app_endpoint());
    CO_ASSERT_TRUE(app.ok());
    co_await trickle(*app, 6, 100ms);  // twice the idle timeout, never idle that long
    EXPECT_FALSE(tunnel.log->client_done) << "closed while bytes were moving";
    co_await read_to_end(*app);  // then idle: the relay closes the app's connection
    co_await tunnel.wait_both_done();
    EXPECT_EQ(tunnel.log->client.error, "idle timeout");
    EXPECT_EQ(tunnel.log->client.client_to_upstream, 6u);
    EXPECT_TRUE(tunnel.log->server_done) << "the stream's reset must end the server relay";
  });
}

TEST(HboneRelay, MaxDurationEndsABusyTunnel) {
  HboneEnv env;
  Tunnel tunnel(env, RelayLimits{std::nullopt, 400ms, nullptr});
  asio::co_spawn(env.io, echo_tcp(tunnel.upstream), asio::detached);
  env.run([&]() -> asio::awaitable<void> {
    auto app = co_await dial_loopback(tunnel.app_endpoint());
    CO_ASSERT_TRUE(app.ok());
    boost::system::error_code ec;
    for (int i = 0; i < 300 && !ec; ++i) {  // up to 6 s of a byte each 20 ms
      co_await asio::async_write(*app, asio::buffer("x", 1),
                                 asio::redirect_error(asio::use_awaitable, ec));
      char c;
      if (!ec)
        co_await asio::async_read(*app, asio::buffer(&c, 1),
                                  asio::redirect_error(asio::use_awaitable, ec));
      co_await sleep_for(20ms);
    }
    EXPECT_TRUE(ec) << "a busy tunnel outlived its maximum duration";
    co_await tunnel.wait_both_done();
    EXPECT_EQ(tunnel.log->client.error, "max connection duration reached");
  });
}

TEST(HboneRelay, CloserEndsTheTunnelFromOutside) {
  HboneEnv env;
  auto closer = std::make_shared<RelayCloser>();
  Tunnel tunnel(env, RelayLimits{std::nullopt, std::nullopt, closer});
  asio::co_spawn(env.io, echo_tcp(tunnel.upstream), asio::detached);
  env.run([&]() -> asio::awaitable<void> {
    auto app = co_await dial_loopback(tunnel.app_endpoint());
    CO_ASSERT_TRUE(app.ok());
    co_await trickle(*app, 2, 10ms);
    EXPECT_FALSE(tunnel.log->client_done);
    closer->close("policy changed: test");  // what the inbound policy re-check does
    co_await read_to_end(*app);
    co_await tunnel.wait_both_done();
    EXPECT_EQ(tunnel.log->client.error, "policy changed: test");
    EXPECT_TRUE(tunnel.log->server_done);
  });
  closer->close("after the end");  // unbound by then: nothing happens
}

}  // namespace
}  // namespace zmesh::hbone::test
