// connectionPool -> connection settings: Istio's defaults, `0s` disabling a timeout, explicit
// values, http.idleTimeout over tcp.idleTimeout, the HTTP/2 keepalive needing an interval.
#include <gtest/gtest.h>

#include "upstream/connection_settings.h"

namespace zmesh::upstream {
namespace {

using ms = std::chrono::milliseconds;

TEST(ConnectionSettings, DefaultsWithoutConnectionPool) {
  for (const auto& pool :
       {std::optional<state::ConnectionPoolSettings>{},
        std::optional<state::ConnectionPoolSettings>{state::ConnectionPoolSettings{}}}) {
    auto s = connection_settings(pool);
    EXPECT_EQ(s.connect_timeout, ms(10'000));
    EXPECT_EQ(s.tcp_idle_timeout, ms(3'600'000));
    EXPECT_EQ(s.http_idle_timeout, ms(3'600'000));
    EXPECT_FALSE(s.keepalive);
    EXPECT_FALSE(s.max_connection_duration);
    EXPECT_EQ(s.max_concurrent_streams, 0u);
    EXPECT_FALSE(s.http2_keepalive);
    EXPECT_FALSE(s.use_client_protocol);
  }
}

TEST(ConnectionSettings, ZeroSecondsDisablesIdleTimeouts) {
  state::ConnectionPoolSettings pool;
  pool.tcp.emplace().idle_timeout = ms(0);
  auto s = connection_settings(pool);
  EXPECT_FALSE(s.tcp_idle_timeout);
  EXPECT_FALSE(s.http_idle_timeout);  // tcp.idleTimeout applies to HTTP connections too

  pool.http.emplace().idle_timeout = ms(0);
  pool.tcp->idle_timeout = ms(5'000);
  s = connection_settings(pool);
  EXPECT_EQ(s.tcp_idle_timeout, ms(5'000));
  EXPECT_FALSE(s.http_idle_timeout);
}

TEST(ConnectionSettings, Overrides) {
  state::ConnectionPoolSettings pool;
  auto& tcp = pool.tcp.emplace();
  tcp.connect_timeout = ms(1'500);
  tcp.tcp_keepalive.emplace();
  tcp.tcp_keepalive->probes = 3;
  tcp.tcp_keepalive->time = ms(30'000);
  tcp.max_connection_duration = ms(60'000);
  tcp.idle_timeout = ms(2'000);
  auto& http = pool.http.emplace();
  http.idle_timeout = ms(1'000);
  http.max_concurrent_streams = 7;
  http.use_client_protocol = true;
  http.http2_keep_alive.emplace().interval = ms(250);
  http.http2_keep_alive->timeout = ms(100);

  auto s = connection_settings(pool);
  EXPECT_EQ(s.connect_timeout, ms(1'500));
  ASSERT_TRUE(s.keepalive);
  EXPECT_EQ(s.keepalive->probes, 3u);
  EXPECT_EQ(s.keepalive->time, ms(30'000));
  EXPECT_FALSE(s.keepalive->interval);  // left to the OS
  EXPECT_EQ(s.max_connection_duration, ms(60'000));
  EXPECT_EQ(s.tcp_idle_timeout, ms(2'000));
  EXPECT_EQ(s.http_idle_timeout, ms(1'000));  // http.idleTimeout wins over tcp.idleTimeout
  EXPECT_EQ(s.max_concurrent_streams, 7u);
  EXPECT_TRUE(s.use_client_protocol);
  ASSERT_TRUE(s.http2_keepalive);
  EXPECT_EQ(s.http2_keepalive->interval, ms(250));
  EXPECT_EQ(s.http2_keepalive->timeout, ms(100));
}

TEST(ConnectionSettings, TcpIdleTimeoutIsTheHttpFallback) {
  state::ConnectionPoolSettings pool;
  pool.tcp.emplace().idle_timeout = ms(4'000);
  pool.http.emplace().max_concurrent_streams = 0;  // an http block without idleTimeout
  auto s = connection_settings(pool);
  EXPECT_EQ(s.http_idle_timeout, ms(4'000));
  EXPECT_EQ(s.max_concurrent_streams, 0u);
}

TEST(ConnectionSettings, Http2KeepaliveNeedsAnInterval) {
  state::ConnectionPoolSettings pool;
  pool.http.emplace().http2_keep_alive.emplace().timeout = ms(100);
  EXPECT_FALSE(connection_settings(pool).http2_keepalive);
  pool.http->http2_keep_alive->timeout.reset();
  pool.http->http2_keep_alive->interval = ms(1'000);
  auto s = connection_settings(pool);
  ASSERT_TRUE(s.http2_keepalive);
  EXPECT_EQ(s.http2_keepalive->timeout, ms(20'000));
}

}  // namespace
}  // namespace zmesh::upstream
