// Idle upstream HTTP/1.1 connections of one worker, kept for reuse by the next request to the
// same endpoint of the same destination from the same pod (the key), as Envoy keeps
// per-worker, per-cluster connection pools.
// An idle connection closes once idle for its idle timeout (the DestinationRule's
// http.idleTimeout, Istio's 1h by default) or older than its maxConnectionDuration: a timer
// closes it while it sits in the pool, and take() never hands out an expired one.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "transport/upstream_channel.h"
#include "upstream/circuit_breaker.h"

namespace zmesh::l7 {

// Idle connections are bounded by the destination's maxConnections breaker and idle timeout,
// as in Envoy; this cap only guards file descriptors. A cap below the concurrency in use
// closes connections after one request (l7_bench at 50 connections: 0.18 new upstream
// connections per request with a cap of 32, TIME-WAIT port searches 73% of the CPU).
inline constexpr size_t kMaxIdlePerKey = 1024;

struct UpstreamConnection {
  // Counted while it lives: in the destination's kConnections breaker (`breaker_owner` keeps
  // that breaker alive; declared first so the slot goes first) and in the worker's live count
  // for its pool key.
  std::shared_ptr<const void> breaker_owner;
  upstream::BreakerSlot connection_slot;
  size_t* live_count = nullptr;
  ~UpstreamConnection() {
    if (live_count) --*live_count;
  }

  std::unique_ptr<transport::UpstreamChannel> channel;
  boost::beast::flat_buffer buffer;  // bytes read from the upstream not yet parsed
  uint64_t served = 0;               // requests answered on it
  bool reused = false;               // came from the pool (may have been closed meanwhile)
  std::chrono::steady_clock::time_point idle_since;
  std::chrono::steady_clock::time_point opened_at = std::chrono::steady_clock::now();
  std::optional<std::chrono::milliseconds> idle_timeout;  // nullopt: never idles out
  std::optional<std::chrono::milliseconds> max_duration;  // nullopt: unlimited
  // When it must close if still idle (the earlier of the two limits).
  std::optional<std::chrono::steady_clock::time_point> close_at() const;
  // The pool's timer: armed at most once at a time, it re-checks when it fires, so a
  // connection taken and put back per request does not re-arm it each time.
  std::unique_ptr<boost::asio::steady_timer> timer;
  bool timer_armed = false;
  bool in_pool = false;
  std::shared_ptr<char> alive = std::make_shared<char>();  // for the timer's handler
  std::string security_policy = "none", source_principal, destination_principal;  // as opened
};

class UpstreamPool {
 public:
  std::unique_ptr<UpstreamConnection> take(const std::string& key);
  // Keeps `connection` for reuse unless it is past its maximum duration; its timer runs on
  // `executor`.
  void put(const std::string& key, std::unique_ptr<UpstreamConnection> connection,
           const boost::asio::any_io_executor& executor);
  size_t idle() const;
  // Connections to `key` this worker has open, idle or busy (UpstreamConnection::live_count).
  size_t& live(const std::string& key) { return live_[key]; }

 private:
  void arm(const std::string& key, UpstreamConnection& connection);
  void expire(const std::string& key, UpstreamConnection& connection);

  // Before idle_: the idle connections, destroyed first, still decrement their counter.
  std::unordered_map<std::string, size_t> live_;  // node-based: counters never move
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
};

}  // namespace zmesh::l7
