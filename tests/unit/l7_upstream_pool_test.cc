// The HTTP/1.1 upstream pool's connection lifetimes: an idle connection is closed by its timer
// once idle for its idle timeout (not only when next looked at), reuse defers that, and a
// connection past its maxConnectionDuration is neither kept nor handed out.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "l7/upstream_pool.h"

namespace zmesh::l7 {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Counts its own destruction: a dropped connection closes its channel.
class FakeChannel final : public transport::UpstreamChannel {
 public:
  explicit FakeChannel(int* closed) : closed_(closed) {}
  ~FakeChannel() override { ++*closed_; }
  asio::awaitable<Result<size_t>> read_some(asio::mutable_buffer) override { co_return size_t{0}; }
  asio::awaitable<Result<void>> write(asio::const_buffer) override { co_return ok(); }
  void abort() override {}
  void close_write() override {}
  void relay(asio::ip::tcp::socket, RelayCounters,
             std::function<void(const RelayResult&)>) override {}

 private:
  int* closed_;
};

std::unique_ptr<UpstreamConnection> connection(int* closed,
                                               std::optional<std::chrono::milliseconds> idle,
                                               std::optional<std::chrono::milliseconds> max = {}) {
  auto c = std::make_unique<UpstreamConnection>();
  c->channel = std::make_unique<FakeChannel>(closed);
  c->idle_timeout = idle;
  c->max_duration = max;
  return c;
}

TEST(UpstreamPool, IdleTimeoutClosesAConnectionLeftInThePool) {
  asio::io_context io;
  UpstreamPool pool;
  int closed = 0;
  pool.put("k", connection(&closed, 100ms), io.get_executor());
  pool.put("never", connection(&closed, std::nullopt), io.get_executor());  // 0s: disabled
  io.run_for(50ms);
  EXPECT_EQ(closed, 0);
  EXPECT_EQ(pool.idle(), 2u);
  io.run_for(150ms);
  EXPECT_EQ(closed, 1);  // by the timer, without anyone looking at the pool
  EXPECT_EQ(pool.idle(), 1u);
  EXPECT_NE(pool.take("never"), nullptr);
}

TEST(UpstreamPool, ReuseDefersTheIdleClose) {
  asio::io_context io;
  UpstreamPool pool;
  int closed = 0;
  pool.put("k", connection(&closed, 150ms), io.get_executor());
  io.run_for(100ms);
  auto c = pool.take("k");
  ASSERT_NE(c, nullptr);
  pool.put("k", std::move(c), io.get_executor());  // idle again from now
  io.run_for(100ms);  // 200 ms since the first put, 100 ms since the second
  EXPECT_EQ(closed, 0);
  EXPECT_EQ(pool.idle(), 1u);
  io.run_for(150ms);
  EXPECT_EQ(closed, 1);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST(UpstreamPool, MaxConnectionDurationEndsReuse) {
  asio::io_context io;
  UpstreamPool pool;
  int closed = 0;
  auto c = connection(&closed, std::nullopt, 100ms);
  pool.put("k", std::move(c), io.get_executor());
  EXPECT_NE(pool.take("k"), nullptr);  // young enough (and closed by the temporary's end)
  EXPECT_EQ(closed, 1);

  auto old = connection(&closed, std::nullopt, 100ms);
  old->opened_at -= 200ms;
  pool.put("k", std::move(old), io.get_executor());  // too old to keep
  EXPECT_EQ(closed, 2);
  EXPECT_EQ(pool.idle(), 0u);

  pool.put("k", connection(&closed, 1h, 100ms), io.get_executor());
  io.run_for(200ms);  // the duration ends before the idle timeout: closed in the pool
  EXPECT_EQ(closed, 3);
  EXPECT_EQ(pool.take("k"), nullptr);
}

}  // namespace
}  // namespace zmesh::l7
