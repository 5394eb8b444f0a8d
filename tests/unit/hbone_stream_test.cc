// HBONE stream semantics over real TLS: resets and dead connections fail the other side's
// reads, keepalive notices a silent peer, and flow control pushes back on a fast writer.
#include "hbone_test_env.h"

namespace zmesh::hbone::test {
namespace {

const tcp::endpoint kTarget(asio::ip::make_address("10.9.8.7"), 1234);
const PoolKey kSource{"spiffe://cluster.local/ns/a/sa/b#01", {}};

PoolKey key_for(const tcp::endpoint& server) {
  PoolKey key = kSource;
  key.hbone_addr = server;
  return key;
}

// What a server handler saw, for the test body to check.
struct Seen {
  bool done = false;
  bool read_failed = false;
  std::string error;
  uint64_t bytes = 0;
};

// Answers 200, then reads until the end or an error.
asio::awaitable<void> read_until_error(std::shared_ptr<Stream> stream, std::shared_ptr<Seen> seen) {
  stream->respond(200);
  std::vector<char> buf(64 * 1024);
  for (;;) {
    auto n = co_await stream->read_some(asio::buffer(buf));
    if (!n) {
      seen->read_failed = true;
      seen->error = n.error().message;
      break;
    }
    if (*n == 0) break;
    seen->bytes += *n;
  }
  seen->done = true;
}

asio::awaitable<void> reset_after(std::shared_ptr<Stream> stream, std::chrono::milliseconds d) {
  stream->respond(200);
  co_await sleep_for(d);
  stream->reset();
}

asio::awaitable<void> wait_until(const bool& flag) {
  for (int i = 0; i < 300 && !flag; ++i) co_await sleep_for(10ms);
}

TEST(HboneStream, ClientResetFailsTheServersRead) {
  HboneEnv env;
  auto seen = std::make_shared<Seen>();
  auto server = env.start_server(
      {}, [seen](std::shared_ptr<Stream> s) { return read_until_error(std::move(s), seen); });
  env.run([&]() -> asio::awaitable<void> {
    ConnectionPool pool(env.io.get_executor(), {});
    auto stream =
        co_await pool.connect(key_for(server), env.connect_options(), request_to(kTarget));
    CO_ASSERT_TRUE(stream.ok());
    EXPECT_TRUE((co_await (*stream)->write(asio::buffer("abc", 3))).ok());
    (*stream)->reset();
    co_await wait_until(seen->done);
    EXPECT_TRUE(seen->read_failed);
    EXPECT_NE(seen->error.find("reset"), std::string::npos) << seen->error;
    // Our own side fails too, and the connection lives on.
    char byte;
    EXPECT_FALSE((co_await (*stream)->read_some(asio::buffer(&byte, 1))).ok());
    EXPECT_FALSE((co_await (*stream)->write(asio::buffer("x", 1))).ok());
    EXPECT_EQ(pool.connections(), 1u);
  });
}

TEST(HboneStream, ServerResetFailsTheClientsPendingRead) {
  HboneEnv env;
  auto server = env.start_server(
      {}, [](std::shared_ptr<Stream> s) { return reset_after(std::move(s), 50ms); });
  env.run([&]() -> asio::awaitable<void> {
    ConnectionPool pool(env.io.get_executor(), {});
    auto stream =
        co_await pool.connect(key_for(server), env.connect_options(), request_to(kTarget));
    CO_ASSERT_TRUE(stream.ok());
    char byte;
    auto n = co_await (*stream)->read_some(asio::buffer(&byte, 1));  // pending when the RST comes
    CO_ASSERT_TRUE(!n.ok());
    EXPECT_NE(n.error().message.find("CANCEL"), std::string::npos) << n.error().message;
  });
}

TEST(HboneStream, PeerTcpCloseFailsPendingReads) {
  HboneEnv env;
  auto seen = std::make_shared<Seen>();
  auto server = env.start_server(
      {}, [seen](std::shared_ptr<Stream> s) { return read_until_error(std::move(s), seen); });
  env.run([&]() -> asio::awaitable<void> {
    ConnectionPool pool(env.io.get_executor(), {});
    std::vector<std::shared_ptr<Stream>> streams;
    for (int i = 0; i < 2; ++i) {
      auto stream =
          co_await pool.connect(key_for(server), env.connect_options(), request_to(kTarget));
      CO_ASSERT_TRUE(stream.ok());
      streams.push_back(*stream);
    }
    auto killer = [&]() -> asio::awaitable<void> {
      co_await sleep_for(30ms);
      auto socket = env.server->sockets.at(0).lock();
      if (socket) socket->lowest_layer().close();  // the server's TCP connection, abruptly
    };
    asio::co_spawn(env.io, killer(), asio::detached);
    for (auto& s : streams) {
      char byte;
      auto n = co_await s->read_some(asio::buffer(&byte, 1));
      EXPECT_FALSE(n.ok()) << "a read on a dead connection must fail, not see END_STREAM";
    }
    EXPECT_EQ(pool.connections(), 0u);
    co_await wait_until(seen->done);
    EXPECT_TRUE(seen->read_failed);  // the server's streams fail as well
  });
}

asio::awaitable<void> silent_tls_peer(std::shared_ptr<tcp::acceptor> acceptor,
                                      std::shared_ptr<asio::ssl::context> tls) {
  tcp::socket socket = co_await acceptor->async_accept(asio::use_awaitable);
  TlsSocket stream(std::move(socket), *tls);
  co_await stream.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
  std::vector<char> sink(16384);
  boost::system::error_code ec;
  while (!ec)  // reads everything, answers nothing (not even PING)
    co_await stream.async_read_some(asio::buffer(sink),
                                    asio::redirect_error(asio::use_awaitable, ec));
}

TEST(HboneStream, KeepaliveGivesUpOnASilentPeer) {
  HboneEnv env;
  auto acceptor = std::make_shared<tcp::acceptor>(
      env.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::co_spawn(env.io, silent_tls_peer(acceptor, env.server_tls), asio::detached);
  env.run([&]() -> asio::awaitable<void> {
    SessionOptions options;
    options.keepalive_interval = 100ms;
    options.keepalive_timeout = 100ms;
    ConnectionPool pool(env.io.get_executor(), options);
    auto stream = co_await pool.connect(key_for(acceptor->local_endpoint()), env.connect_options(),
                                        request_to(kTarget));
    CO_ASSERT_TRUE(!stream.ok());
    EXPECT_NE(stream.error().message.find("keepalive"), std::string::npos)
        << stream.error().message;
    EXPECT_EQ(pool.connections(), 0u);
  });
}

// Waits for `go`, then reads everything.
asio::awaitable<void> read_when(std::shared_ptr<Stream> stream, const bool& go,
                                std::shared_ptr<Seen> seen) {
  stream->respond(200);
  while (!go) co_await sleep_for(5ms);
  co_await read_until_error(std::move(stream), seen);
}

asio::awaitable<void> write_all(std::shared_ptr<Stream> stream, uint64_t total,
                                uint64_t& accepted) {
  std::vector<char> chunk(64 * 1024, 'w');
  while (accepted < total) {
    if (!(co_await stream->write(asio::buffer(chunk))).ok()) co_return;
    accepted += chunk.size();
  }
  stream->close_write();
}

TEST(HboneStream, SlowReaderHoldsBackTheWriter) {
  HboneEnv env;
  SessionOptions options;
  options.stream_window = 64 * 1024;
  auto seen = std::make_shared<Seen>();
  bool go = false;
  auto server = env.start_server(options, [&go, seen](std::shared_ptr<Stream> s) {
    return read_when(std::move(s), go, seen);
  });
  env.run([&]() -> asio::awaitable<void> {
    ConnectionPool pool(env.io.get_executor(), options);
    auto stream =
        co_await pool.connect(key_for(server), env.connect_options(), request_to(kTarget));
    CO_ASSERT_TRUE(stream.ok());
    const uint64_t total = 8 << 20;
    uint64_t accepted = 0;
    asio::co_spawn(env.io, write_all(*stream, total, accepted), asio::detached);
    co_await sleep_for(200ms);
    // In flight at most: the stream window, our send queue bound (256 KiB) and one chunk.
    EXPECT_LT(accepted, 512u * 1024) << "write() did not wait for the reader";
    EXPECT_GT(accepted, 0u);
    go = true;
    co_await wait_until(seen->done);
    EXPECT_FALSE(seen->read_failed) << seen->error;
    EXPECT_EQ(seen->bytes, total);
  });
}

}  // namespace
}  // namespace zmesh::hbone::test
