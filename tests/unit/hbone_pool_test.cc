// HBONE client pool against the HBONE server over real TLS on loopback: CONNECT answers,
// connection reuse, stream limits, sharing a dial, and idle close.
#include <nghttp2/nghttp2.h>

#include "hbone_test_env.h"

namespace zmesh::hbone::test {
namespace {

const tcp::endpoint kTarget(asio::ip::make_address("10.9.8.7"), 1234);

PoolKey key_for(const tcp::endpoint& server) {
  return PoolKey{"spiffe://cluster.local/ns/a/sa/b#01", server};
}

asio::awaitable<void> respond_with(std::shared_ptr<Stream> stream, int status) {
  stream->respond(status);
  co_return;
}

// Opens a stream, checks one echo round trip, ends it cleanly.
asio::awaitable<bool> echo_once(ConnectionPool& pool, const tcp::endpoint& server,
                                const ConnectOptions& options) {
  auto stream = co_await pool.connect(key_for(server), options, request_to(kTarget));
  if (!stream) {
    ADD_FAILURE() << stream.error().message;
    co_return false;
  }
  auto& s = **stream;
  EXPECT_TRUE((co_await s.write(asio::buffer("ping", 4))).ok());
  EXPECT_EQ(co_await read_stream(s, 4), "ping");
  s.close_write();
  char byte;
  auto end = co_await s.read_some(asio::buffer(&byte, 1));
  EXPECT_TRUE(end.ok() && *end == 0) << "want END_STREAM after the echo server's close_write";
  co_return true;
}

TEST(HbonePool, ConnectAnswers200AndEchoesBothWays) {
  HboneEnv env;
  ConnectRequest seen;
  auto server = env.start_server({}, [&](std::shared_ptr<Stream> s) {
    seen = s->request();
    return echo_handler(std::move(s));
  });
  env.run([&]() -> asio::awaitable<void> {
    ConnectionPool pool(env.io.get_executor(), {});
    ConnectRequest request{kTarget, make_forwarded(asio::ip::make_address("10.0.0.1")), "k=v", ""};
    auto stream = co_await pool.connect(key_for(server), env.connect_options(), request);
    CO_ASSERT_TRUE(stream.ok());
    auto& s = **stream;
    const std::string up(100000, 'u');
    EXPECT_TRUE((co_await s.write(asio::buffer(up))).ok());
    EXPECT_EQ(co_await read_stream(s, up.size()), up);
    s.close_write();
    char byte;
    auto end = co_await s.read_some(asio::buffer(&byte, 1));
    EXPECT_TRUE(end.ok() && *end == 0);
    EXPECT_EQ(pool.connections(), 1u);

    EXPECT_EQ(seen.target, kTarget);
    EXPECT_EQ(seen.forwarded, "for=10.0.0.1");
    EXPECT_EQ(seen.baggage, "k=v");
    EXPECT_FALSE(seen.traceparent.empty());
    EXPECT_EQ(seen.traceparent, s.request().traceparent);  // the client's view: as sent
  });
}

TEST(HbonePool, RefusedConnectReportsTheStatus) {
  HboneEnv env;
  auto server = env.start_server(
      {}, [](std::shared_ptr<Stream> s) { return respond_with(std::move(s), 503); });
  env.run([&]() -> asio::awaitable<void> {
    ConnectionPool pool(env.io.get_executor(), {});
    auto stream =
        co_await pool.connect(key_for(server), env.connect_options(), request_to(kTarget));
    CO_ASSERT_TRUE(!stream.ok());
    EXPECT_NE(stream.error().message.find("503"), std::string::npos) << stream.error().message;
    // The connection stays usable for the next stream.
    EXPECT_EQ(pool.connections(), 1u);
  });
}

TEST(HbonePool, FailedVerificationFailsTheConnect) {
  HboneEnv env;
  auto server = env.start_server({}, echo_handler);
  env.run([&]() -> asio::awaitable<void> {
    ConnectionPool pool(env.io.get_executor(), {});
    auto options = env.connect_options();
    options.verify_peer = [](const SSL*) -> Result<void> { return make_error("wrong identity"); };
    auto stream = co_await pool.connect(key_for(server), options, request_to(kTarget));
    CO_ASSERT_TRUE(!stream.ok());
    EXPECT_NE(stream.error().message.find("wrong identity"), std::string::npos);
    EXPECT_EQ(pool.connections(), 0u);
  });
}

TEST(HbonePool, SequentialConnectsReuseOneConnection) {
  HboneEnv env;
  auto server = env.start_server({}, echo_handler);
  env.run([&]() -> asio::awaitable<void> {
    ConnectionPool pool(env.io.get_executor(), {});
    auto options = env.connect_options();
    for (int i = 0; i < 3; ++i) CO_ASSERT_TRUE(co_await echo_once(pool, server, options));
    EXPECT_EQ(pool.connections(), 1u);
    EXPECT_EQ(env.server->accepted, 1u);
    // Another source identity (or certificate serial) is another connection.
    const PoolKey other_source{"spiffe://cluster.local/ns/a/sa/c#02", server};
    auto other = co_await pool.connect(other_source, options, request_to(kTarget));
    EXPECT_TRUE(other.ok());
    EXPECT_EQ(pool.connections(), 2u);
  });
}

TEST(HbonePool, WithoutReuseEveryStreamDialsItsOwnConnection) {
  HboneEnv env;
  auto server = env.start_server({}, echo_handler);
  env.run([&]() -> asio::awaitable<void> {
    ConnectionPool pool(env.io.get_executor(), {}, /*reuse=*/false);
    auto options = env.connect_options();
    for (int i = 0; i < 3; ++i) CO_ASSERT_TRUE(co_await echo_once(pool, server, options));
    EXPECT_EQ(env.server->accepted, 3u);
    EXPECT_EQ(pool.connections(), 0u);  // nothing is kept for later streams
  });
}

TEST(HbonePool, StreamLimitOpensAnotherConnection) {
  HboneEnv env;
  SessionOptions options;
  options.max_concurrent_streams = 2;
  auto server = env.start_server(options, echo_handler);
  env.run([&]() -> asio::awaitable<void> {
    ConnectionPool pool(env.io.get_executor(), options);
    std::vector<std::shared_ptr<Stream>> open;
    for (int i = 0; i < 3; ++i) {
      auto stream =
          co_await pool.connect(key_for(server), env.connect_options(), request_to(kTarget));
      CO_ASSERT_TRUE(stream.ok());
      open.push_back(*stream);
    }
    EXPECT_EQ(pool.connections(), 2u);
    EXPECT_EQ(env.server->accepted, 2u);
    for (auto& s : open) {  // all three carry data
      EXPECT_TRUE((co_await s->write(asio::buffer("x", 1))).ok());
      EXPECT_EQ(co_await read_stream(*s, 1), "x");
    }
  });
}

asio::awaitable<void> connect_into(ConnectionPool& pool, PoolKey key, ConnectOptions options,
                                   std::vector<std::shared_ptr<Stream>>& out, int& finished) {
  auto stream = co_await pool.connect(key, options, request_to(kTarget));
  EXPECT_TRUE(stream.ok()) << (stream.ok() ? "" : stream.error().message);
  if (stream) out.push_back(*stream);
  ++finished;
}

TEST(HbonePool, ConcurrentConnectsShareOneDial) {
  HboneEnv env;
  auto server = env.start_server({}, echo_handler);
  env.run([&]() -> asio::awaitable<void> {
    ConnectionPool pool(env.io.get_executor(), {});
    std::vector<std::shared_ptr<Stream>> streams;
    int finished = 0;
    for (int i = 0; i < 4; ++i)
      asio::co_spawn(env.io,
                     connect_into(pool, key_for(server), env.connect_options(), streams, finished),
                     asio::detached);
    while (finished < 4) co_await sleep_for(5ms);
    EXPECT_EQ(streams.size(), 4u);
    EXPECT_EQ(env.server->accepted, 1u);
    EXPECT_EQ(pool.connections(), 1u);
  });
}

TEST(HbonePool, DialFailureIsReported) {
  HboneEnv env;
  env.run([&]() -> asio::awaitable<void> {
    // A port nobody listens on.
    tcp::acceptor closed(env.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto nowhere = closed.local_endpoint();
    closed.close();
    ConnectionPool pool(env.io.get_executor(), {});
    auto stream =
        co_await pool.connect(key_for(nowhere), env.connect_options(), request_to(kTarget));
    CO_ASSERT_TRUE(!stream.ok());
    EXPECT_NE(stream.error().message.find("dial"), std::string::npos) << stream.error().message;
  });
}

TEST(HbonePool, IdleConnectionIsClosed) {
  HboneEnv env;
  auto server = env.start_server({}, echo_handler);
  env.run([&]() -> asio::awaitable<void> {
    SessionOptions options;
    options.idle_timeout = 150ms;
    ConnectionPool pool(env.io.get_executor(), options);
    CO_ASSERT_TRUE(co_await echo_once(pool, server, env.connect_options()));
    EXPECT_EQ(pool.connections(), 1u);
    for (int i = 0; i < 300 && pool.connections() > 0; ++i) co_await sleep_for(10ms);
    EXPECT_EQ(pool.connections(), 0u);
    // GOAWAY then FIN: the server's session ends too and drops its socket.
    for (int i = 0; i < 300 && !env.server->sockets[0].expired(); ++i) co_await sleep_for(10ms);
    EXPECT_TRUE(env.server->sockets[0].expired());
    // The next connect dials afresh.
    CO_ASSERT_TRUE(co_await echo_once(pool, server, env.connect_options()));
    EXPECT_EQ(env.server->accepted, 2u);
  });
}

// A raw nghttp2 client, to send requests our client never would.
struct RawClient {
  int status = 0;
  bool done = false;

  static int on_header(nghttp2_session*, const nghttp2_frame*, const uint8_t* name, size_t namelen,
                       const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    if (std::string_view(reinterpret_cast<const char*>(name), namelen) == ":status")
      static_cast<RawClient*>(user)->status =
          std::stoi(std::string(reinterpret_cast<const char*>(value), valuelen));
    return 0;
  }
  static int on_close(nghttp2_session*, int32_t, uint32_t, void* user) {
    static_cast<RawClient*>(user)->done = true;
    return 0;
  }
};

asio::awaitable<int> raw_request(tcp::endpoint server, std::shared_ptr<asio::ssl::context> tls,
                                 Headers headers) {
  auto socket = co_await dial_loopback(server);
  if (!socket) co_return -1;
  TlsSocket stream(std::move(*socket), *tls);
  boost::system::error_code ec;
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return -1;

  RawClient client;
  nghttp2_session_callbacks* callbacks;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, RawClient::on_header);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, RawClient::on_close);
  nghttp2_option* option;
  nghttp2_option_new(&option);
  nghttp2_option_set_no_http_messaging(option, 1);
  nghttp2_session* raw;
  nghttp2_session_client_new2(&raw, callbacks, &client, option);
  std::unique_ptr<nghttp2_session, decltype(&nghttp2_session_del)> ng(raw, nghttp2_session_del);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);

  std::vector<nghttp2_nv> nvs;
  for (auto& h : headers)
    nvs.push_back({reinterpret_cast<uint8_t*>(h.name.data()),
                   reinterpret_cast<uint8_t*>(h.value.data()), h.name.size(), h.value.size(),
                   NGHTTP2_NV_FLAG_NONE});
  nghttp2_submit_settings(ng.get(), NGHTTP2_FLAG_NONE, nullptr, 0);
  nghttp2_submit_request(ng.get(), nullptr, nvs.data(), nvs.size(), nullptr, nullptr);
  std::vector<uint8_t> buf(16384);
  while (!client.done) {
    const uint8_t* data;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(ng.get(), &data)) > 0)
      co_await asio::async_write(stream, asio::buffer(data, n), asio::use_awaitable);
    size_t got = co_await stream.async_read_some(asio::buffer(buf),
                                                 asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    if (nghttp2_session_mem_recv(ng.get(), buf.data(), got) < 0) break;
  }
  co_return client.status;
}

TEST(HbonePool, MalformedConnectGets400WithoutReachingTheHandler) {
  HboneEnv env;
  int handled = 0;
  auto server = env.start_server({}, [&](std::shared_ptr<Stream> s) {
    ++handled;
    return echo_handler(std::move(s));
  });
  // Built outside the coroutine: GCC 12 cannot keep initializer lists across co_await.
  const Header method{":method", "CONNECT"}, authority{":authority", "10.0.0.1:80"};
  const std::vector<Headers> malformed{
      {method, {":authority", "not-an-ip:80"}},
      {method, authority, {":path", "/"}},
      {{":method", "GET"}, authority},
  };
  const Headers good{method, authority};
  env.run([&]() -> asio::awaitable<void> {
    for (const auto& headers : malformed)
      EXPECT_EQ(co_await raw_request(server, env.client_tls, headers), 400);
    EXPECT_EQ(handled, 0);
    // The same raw client with a good request reaches the handler.
    EXPECT_EQ(co_await raw_request(server, env.client_tls, good), 200);
    EXPECT_EQ(handled, 1);
  });
}

}  // namespace
}  // namespace zmesh::hbone::test
