// Throughput check, not run by default (no timing assertions anywhere):
//   build-<you>/tests/hbone_throughput_test --gtest_also_run_disabled_tests
// Sends HBONE_BENCH_MIB (default 512) MiB one way, app -> sink, directly over loopback TCP
// and through an HBONE tunnel (client relay + pool on one thread, server + relay on
// another, like two single-worker ztunnels), and prints both rates, their ratio, and the CPU
// time each tunnel end spent per GiB (steadier than rates on a busy machine).
#include <pthread.h>
#include <time.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <thread>

#include "hbone/stream_relay.h"
#include "hbone_test_env.h"

namespace zmesh::hbone::test {
namespace {

using Clock = std::chrono::steady_clock;

double thread_cpu_seconds(std::thread& thread) {
  clockid_t clock;
  timespec ts{};
  if (pthread_getcpuclockid(thread.native_handle(), &clock) != 0) return 0;
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

size_t bench_bytes() {
  const char* mib = std::getenv("HBONE_BENCH_MIB");
  return static_cast<size_t>(mib ? std::atoi(mib) : 512) << 20;
}

// Blocking sink: accepts one connection, reads to EOF, returns the byte count.
size_t sink_one(tcp::acceptor& acceptor) {
  tcp::socket socket(acceptor.get_executor());
  acceptor.accept(socket);
  std::vector<char> buf(256 * 1024);
  size_t total = 0;
  boost::system::error_code ec;
  while (!ec) total += socket.read_some(asio::buffer(buf), ec);
  return total;
}

// Sends `bytes` to `to` and returns the seconds until the sink saw all of them.
double timed_send(asio::io_context& io, tcp::acceptor& sink, const tcp::endpoint& to,
                  size_t bytes) {
  size_t received = 0;
  std::thread sink_thread([&] { received = sink_one(sink); });
  tcp::socket app(io);
  app.connect(to);
  std::vector<char> chunk(256 * 1024, 'b');
  auto start = Clock::now();
  for (size_t sent = 0; sent < bytes; sent += chunk.size()) asio::write(app, asio::buffer(chunk));
  app.shutdown(tcp::socket::shutdown_send);
  sink_thread.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(received, bytes);
  return seconds;
}

asio::awaitable<void> server_relay(std::shared_ptr<Stream> stream) {
  auto socket = co_await dial_loopback(stream->request().target);
  if (!socket) {
    stream->respond(503);
    co_return;
  }
  stream->respond(200);
  start_stream_relay(std::move(*socket), stream, {}, [](const RelayResult& r) {
    if (!r.error.empty()) ADD_FAILURE() << "server relay: " << r.error;
  });
}

asio::awaitable<void> client_relay(tcp::acceptor& listener, ConnectionPool& pool, PoolKey key,
                                   ConnectOptions options, tcp::endpoint target) {
  tcp::socket socket = co_await listener.async_accept(asio::use_awaitable);
  auto stream = co_await pool.connect(key, options, request_to(target));
  if (!stream) {
    ADD_FAILURE() << stream.error().message;
    co_return;
  }
  start_stream_relay(std::move(socket), *stream, {}, [](const RelayResult& r) {
    if (!r.error.empty()) ADD_FAILURE() << "client relay: " << r.error;
  });
}

TEST(HboneThroughput, DISABLED_DirectVersusTunnel) {
  const size_t bytes = bench_bytes();
  asio::io_context app_io;
  tcp::acceptor sink(app_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const double direct = timed_send(app_io, sink, sink.local_endpoint(), bytes);

  HboneEnv server_side;  // its io runs the HBONE server and the server relay
  auto hbone = server_side.start_server(
      {}, [](std::shared_ptr<Stream> s) { return server_relay(std::move(s)); });
  asio::io_context client_io;
  tcp::acceptor listener(client_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto pool = std::make_unique<ConnectionPool>(client_io.get_executor(), SessionOptions{});
  asio::co_spawn(client_io,
                 client_relay(listener, *pool, PoolKey{"spiffe://bench#1", hbone},
                              server_side.connect_options(), sink.local_endpoint()),
                 asio::detached);
  auto server_work = asio::make_work_guard(server_side.io);
  auto client_work = asio::make_work_guard(client_io);
  std::thread server_thread([&] {
    pthread_setname_np(pthread_self(), "hbone-server");
    server_side.io.run();
  });
  std::thread client_thread([&] {
    pthread_setname_np(pthread_self(), "hbone-client");
    client_io.run();
  });

  const double tunnel = timed_send(app_io, sink, listener.local_endpoint(), bytes);
  const double client_cpu = thread_cpu_seconds(client_thread);
  const double server_cpu = thread_cpu_seconds(server_thread);

  server_side.io.stop();
  client_io.stop();
  server_thread.join();
  client_thread.join();
  const double mib = static_cast<double>(bytes) / (1 << 20);
  std::printf("direct TCP : %8.1f MiB/s\n", mib / direct);
  std::printf("HBONE      : %8.1f MiB/s\n", mib / tunnel);
  std::printf("ratio      : %8.2f\n", direct / tunnel);
  std::printf("CPU s/GiB  : client end %.2f, server end %.2f\n", client_cpu * 1024 / mib,
              server_cpu * 1024 / mib);
}

}  // namespace
}  // namespace zmesh::hbone::test
