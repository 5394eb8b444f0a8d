// The HTTP/2 engine (h2/engine.h) on its own: a client and a server engine over a loopback TCP
// pair (SocketTransport), each with small test hooks, on one io_context. What HBONE and the L7
// sessions build on: a request and its answer both ways, the end of the connection (GOAWAY, the
// peer's EOF, a protocol error) and run() returning once the reader and the writer are done.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "h2/engine.h"
#include "h2/socket_transport.h"

namespace zmesh::h2 {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

nghttp2_nv nv(const std::string& name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

// Both roles: the server answers each complete request "pong:<its body>"; the client keeps
// what comes back. Bodies go out through read_data (copied).
class TestHooks final : public Hooks {
 public:
  explicit TestHooks(bool server) : server_(server) {}
  Engine* engine = nullptr;

  std::map<int32_t, std::string> received;  // DATA per stream
  std::map<int32_t, std::string> outgoing;  // what read_data sends per stream
  std::string status;
  int stream_closes = 0;
  uint32_t last_error_code = 0;
  bool eof = false, finished = false, closed = false;
  std::function<void()> on_eof_action;

  int on_header(const nghttp2_frame&, std::string_view name, std::string_view value) override {
    if (name == ":status") status = value;
    return 0;
  }
  int on_frame_recv(const nghttp2_frame& frame) override {
    const bool end = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (!server_ || !end) return 0;
    if (frame.hd.type != NGHTTP2_HEADERS && frame.hd.type != NGHTTP2_DATA) return 0;
    const int32_t id = frame.hd.stream_id;
    outgoing[id] = "pong:" + received[id];
    const std::string name = ":status", value = "200";
    nghttp2_nv header = nv(name, value);
    nghttp2_data_provider provider = engine->data_provider();
    nghttp2_submit_response(engine->ng(), id, &header, 1, &provider);
    return 0;
  }
  int on_data(int32_t stream_id, const uint8_t* data, size_t length) override {
    received[stream_id].append(reinterpret_cast<const char*>(data), length);
    return 0;
  }
  void on_stream_close(int32_t, uint32_t error_code) override {
    ++stream_closes;
    last_error_code = error_code;
  }
  ssize_t read_data(int32_t stream_id, uint8_t* buf, size_t length, uint32_t* flags) override {
    std::string& body = outgoing[stream_id];
    size_t n = std::min(length, body.size());
    std::memcpy(buf, body.data(), n);
    body.erase(0, n);
    if (body.empty()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  void on_eof() override {
    eof = true;
    if (on_eof_action) on_eof_action();
  }
  void on_finished() override { finished = true; }
  void on_closed() override { closed = true; }

 private:
  bool server_;
};

EngineOptions options(bool server) {
  EngineOptions o;
  o.role = server ? EngineOptions::Role::kServer : EngineOptions::Role::kClient;
  o.settings = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 10}};
  if (server) o.linger = 1s;
  return o;
}

// A connected loopback pair and the io_context they run on.
struct Wire {
  asio::io_context io;
  tcp::socket client{io}, server{io};
  Wire() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
  // Runs until `done` or 10 s.
  bool run_until(const std::function<bool()>& done) {
    auto until = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < until) io.run_one_for(20ms);
    return done();
  }
};

// Runs `engine` to its end; `*ended` once run() returned.
void spawn_run(Wire& wire, Engine& engine, std::shared_ptr<bool> ended,
               std::vector<uint8_t> preread = {}) {
  auto owner = std::make_shared<int>(0);  // the engines live in the test's frame
  asio::co_spawn(wire.io, engine.run(owner, std::move(preread)),
                 [ended](std::exception_ptr) { *ended = true; });
}

int32_t submit_request(Engine& engine, TestHooks& hooks, const std::string& body) {
  const std::string m = ":method", mv = "POST", s = ":scheme", sv = "http", p = ":path", pv = "/",
                    a = ":authority", av = "test";
  nghttp2_nv headers[] = {nv(m, mv), nv(s, sv), nv(p, pv), nv(a, av)};
  nghttp2_data_provider provider = engine.data_provider();
  int32_t id = nghttp2_submit_request(engine.ng(), nullptr, headers, 4, &provider, nullptr);
  hooks.outgoing[id] = body;
  engine.kick();
  return id;
}

TEST(H2Engine, RequestAndAnswerThenGoawayEndsBothSides) {
  Wire wire;
  TestHooks client_hooks(false), server_hooks(true);
  Engine client(wire.io.get_executor(), client_hooks, options(false));
  Engine server(wire.io.get_executor(), server_hooks, options(true));
  client_hooks.engine = &client;
  server_hooks.engine = &server;
  SocketTransport client_transport(wire.client), server_transport(wire.server);
  client.attach(client_transport);
  server.attach(server_transport);
  auto client_ended = std::make_shared<bool>(false), server_ended = std::make_shared<bool>(false);
  spawn_run(wire, client, client_ended);
  spawn_run(wire, server, server_ended);

  int32_t id = submit_request(client, client_hooks, std::string(100000, 'x'));
  ASSERT_TRUE(wire.run_until([&] { return client_hooks.stream_closes == 1; }));
  EXPECT_EQ(client_hooks.status, "200");
  EXPECT_EQ(client_hooks.received[id], "pong:" + std::string(100000, 'x'));
  EXPECT_EQ(client_hooks.last_error_code, uint32_t{NGHTTP2_NO_ERROR});

  // Our GOAWAY: the client is done once it is out (no linger: closed at once); the server
  // sees the GOAWAY, then the EOF, and its run() returns.
  nghttp2_session_terminate_session(client.ng(), NGHTTP2_NO_ERROR);
  client.kick();
  ASSERT_TRUE(wire.run_until([&] { return *client_ended && *server_ended; }));
  EXPECT_TRUE(client_hooks.finished);
  EXPECT_TRUE(client.closed());
  EXPECT_EQ(client.error(), "");
  EXPECT_TRUE(server.goaway_received());
  EXPECT_TRUE(server.read_closed());
  EXPECT_TRUE(server_hooks.eof);
}

TEST(H2Engine, PeerEofReachesTheHookWhichMayClose) {
  Wire wire;
  TestHooks client_hooks(false);
  Engine client(wire.io.get_executor(), client_hooks, options(false));
  client_hooks.engine = &client;
  client_hooks.on_eof_action = [&] { client.close("peer went away"); };
  SocketTransport transport(wire.client);
  client.attach(transport);
  auto ended = std::make_shared<bool>(false);
  spawn_run(wire, client, ended);
  submit_request(client, client_hooks, "ping");
  // Not an HTTP/2 server: once the client's first bytes are in, it ends its side.
  ASSERT_TRUE(wire.run_until([&] { return wire.server.available() > 0; }));
  wire.server.shutdown(tcp::socket::shutdown_send);
  ASSERT_TRUE(wire.run_until([&] { return *ended; }));
  EXPECT_TRUE(client_hooks.eof);
  EXPECT_TRUE(client_hooks.closed);
  EXPECT_EQ(client.error(), "peer went away");
  EXPECT_EQ(client_hooks.stream_closes, 0);  // nghttp2's streams are the hooks' to fail
}

TEST(H2Engine, BadPrefaceClosesTheServerWithAnError) {
  Wire wire;
  TestHooks server_hooks(true);
  Engine server(wire.io.get_executor(), server_hooks, options(true));
  server_hooks.engine = &server;
  SocketTransport transport(wire.server);
  server.attach(transport);
  auto ended = std::make_shared<bool>(false);
  const std::string junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  spawn_run(wire, server, ended, std::vector<uint8_t>(junk.begin(), junk.end()));
  ASSERT_TRUE(wire.run_until([&] { return *ended; }));
  EXPECT_TRUE(server.closed());
  EXPECT_TRUE(server_hooks.closed);
  EXPECT_NE(server.error().find("HTTP/2"), std::string::npos) << server.error();
}

}  // namespace
}  // namespace zmesh::h2
