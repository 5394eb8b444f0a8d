// The splice relay moves bytes intact both ways, forwards half-close, and reports errors;
// with limits (a DestinationRule's tcp.idleTimeout, maxConnectionDuration) it closes both
// sides when idle too long or too old, and traffic keeps an idle limit away.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <random>
#include <thread>
#include <tuple>

#include "transport/splice_relay.h"

namespace zmesh::transport {
namespace {
namespace asio = boost::asio;
using asio::ip::tcp;

// A connected loopback pair, both ends blocking-capable asio sockets on `io`.
std::pair<tcp::socket, tcp::socket> connected_pair(asio::io_context& io) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket a(io), b(io);
  a.connect(acceptor.local_endpoint());
  acceptor.accept(b);
  return {std::move(a), std::move(b)};
}

std::string random_bytes(size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

class SpliceRelayTest : public ::testing::Test {
 protected:
  asio::io_context relay_io;  // runs the relay on its own thread
  asio::io_context test_io;   // the test's blocking endpoints

  // app <-> [rc relay ru] <-> server, the relay's two sockets on relay_io.
  std::tuple<tcp::socket, tcp::socket, tcp::socket, tcp::socket> relay_topology() {
    auto [app, relay_client] = connected_pair(test_io);
    auto [relay_upstream, server] = connected_pair(test_io);
    tcp::socket rc(relay_io), ru(relay_io);
    rc.assign(tcp::v4(), relay_client.release());
    ru.assign(tcp::v4(), relay_upstream.release());
    return {std::move(app), std::move(rc), std::move(ru), std::move(server)};
  }
};

TEST_F(SpliceRelayTest, CopiesBothDirectionsAndForwardsHalfClose) {
  auto [app, rc, ru, server] = relay_topology();

  std::atomic<uint64_t> up{0}, down{0};
  RelayResult result;
  bool done = false;
  start_splice_relay(std::move(rc), std::move(ru), {&up, &down}, [&](const RelayResult& r) {
    result = r;
    done = true;
  });
  std::thread runner([&] { relay_io.run(); });

  const std::string request = random_bytes(8 << 20), response = random_bytes(3 << 20);
  std::thread client([&] {
    asio::write(app, asio::buffer(request));
    app.shutdown(tcp::socket::shutdown_send);  // half-close: the server must see EOF
  });
  std::string got_request(request.size(), '\0');
  asio::read(server, asio::buffer(got_request));
  char extra;
  boost::system::error_code ec;
  EXPECT_EQ(server.read_some(asio::buffer(&extra, 1), ec), 0u);
  EXPECT_EQ(ec, asio::error::eof) << "half-close was not forwarded";
  // After the client's half-close the other direction still flows.
  asio::write(server, asio::buffer(response));
  server.shutdown(tcp::socket::shutdown_send);
  std::string got_response(response.size(), '\0');
  asio::read(app, asio::buffer(got_response));
  client.join();
  runner.join();  // the relay ends once both directions saw EOF

  EXPECT_TRUE(got_request == request);
  EXPECT_TRUE(got_response == response);
  ASSERT_TRUE(done);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.client_to_upstream, request.size());
  EXPECT_EQ(result.upstream_to_client, response.size());
  EXPECT_EQ(up.load(), request.size());
  EXPECT_EQ(down.load(), response.size());
}

TEST_F(SpliceRelayTest, ResetByUpstreamEndsBothSidesWithAnError) {
  auto [app, rc, ru, server] = relay_topology();
  RelayResult result;
  start_splice_relay(std::move(rc), std::move(ru), {}, [&](const RelayResult& r) { result = r; });
  std::thread runner([&] { relay_io.run(); });

  asio::write(app, asio::buffer(std::string("hello")));
  char buf[5];
  asio::read(server, asio::buffer(buf));
  // SO_LINGER 0 makes close() send RST.
  struct linger lg {
    1, 0
  };
  ::setsockopt(server.native_handle(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  server.close();
  boost::system::error_code ec;
  char c;
  app.read_some(asio::buffer(&c, 1), ec);  // the app side is closed too
  EXPECT_TRUE(ec);
  runner.join();
  EXPECT_NE(result.error, "");
  EXPECT_EQ(result.client_to_upstream, 5u);
}

TEST_F(SpliceRelayTest, SlowReaderBackPressuresTheWriter) {
  auto [app, rc, ru, server] = relay_topology();
  std::atomic<uint64_t> up{0};
  start_splice_relay(std::move(rc), std::move(ru), {&up, nullptr}, [](const RelayResult&) {});
  std::thread runner([&] { relay_io.run(); });

  // The server reads nothing: once its receive buffer, the relay's pipe and the socket
  // buffers are full, the app's writes must stop succeeding instead of the relay buffering.
  app.non_blocking(true);
  const std::string chunk(1 << 16, 'x');
  uint64_t written = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int stalls = 0;
  while (std::chrono::steady_clock::now() < deadline && stalls < 20) {
    boost::system::error_code ec;
    size_t n = app.write_some(asio::buffer(chunk), ec);
    if (ec == asio::error::would_block) {
      ++stalls;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    ASSERT_FALSE(ec) << ec.message();
    stalls = 0;
    written += n;
  }
  EXPECT_EQ(stalls, 20) << "writer never blocked after " << written << " bytes";
  EXPECT_LT(written, 64ull << 20) << "relay buffered without bound";

  // Draining the server releases everything that was accepted, intact in count.
  app.shutdown(tcp::socket::shutdown_send);
  std::vector<char> sink(1 << 20);
  uint64_t read = 0;
  boost::system::error_code ec;
  while (!ec) read += server.read_some(asio::buffer(sink), ec);
  EXPECT_EQ(read, written);
  server.close();
  app.close();
  runner.join();
  EXPECT_EQ(up.load(), written);
}

// Reads from `s` until EOF or error; the seconds it took.
double seconds_until_closed(tcp::socket& s) {
  auto t0 = std::chrono::steady_clock::now();
  char buf[64];
  boost::system::error_code ec;
  while (!ec) s.read_some(asio::buffer(buf), ec);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST_F(SpliceRelayTest, IdleTimeoutClosesBothSidesAndTrafficDefersIt) {
  auto [app, rc, ru, server] = relay_topology();
  RelayResult result;
  RelayLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(300);
  start_splice_relay(
      std::move(rc), std::move(ru), {}, [&](const RelayResult& r) { result = r; }, limits);
  std::thread runner([&] { relay_io.run(); });

  // A byte every 100 ms for 600 ms: twice the idle timeout, never idle for it.
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) {
    asio::write(app, asio::buffer("x", 1));
    char c;
    asio::read(server, asio::buffer(&c, 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  double busy = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double waited = seconds_until_closed(app);  // then idle: closed about 300 ms after the last
  runner.join();
  EXPECT_GE(busy, 0.6);
  EXPECT_GE(waited, 0.1);
  EXPECT_LE(waited, 1.0);
  EXPECT_LE(seconds_until_closed(server), 0.5);  // the upstream side is closed as well
  EXPECT_EQ(result.error, "idle timeout");
  EXPECT_EQ(result.client_to_upstream, 6u);
}

TEST_F(SpliceRelayTest, MaxDurationClosesABusyConnection) {
  auto [app, rc, ru, server] = relay_topology();
  RelayResult result;
  RelayLimits limits;
  limits.max_duration = std::chrono::milliseconds(400);
  start_splice_relay(
      std::move(rc), std::move(ru), {}, [&](const RelayResult& r) { result = r; }, limits);
  std::thread runner([&] { relay_io.run(); });

  auto t0 = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  while (!ec && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3)) {
    asio::write(app, asio::buffer("x", 1), ec);
    char c;
    if (!ec) asio::read(server, asio::buffer(&c, 1), ec);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  runner.join();
  EXPECT_TRUE(ec) << "still open after 3 s";
  EXPECT_GE(took, 0.35);
  EXPECT_LE(took, 1.5);
  EXPECT_EQ(result.error, "max connection duration reached");
}

}  // namespace
}  // namespace zmesh::transport
