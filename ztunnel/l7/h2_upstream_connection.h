// One HTTP/2 connection to an upstream (cleartext, prior knowledge: what Envoy speaks to an
// HTTP/2 cluster) over an UpstreamChannel, so over plain TCP and over an HBONE tunnel alike.
// Each exchange() is one stream; any number run at once, up to the server's
// SETTINGS_MAX_CONCURRENT_STREAMS (nghttp2 holds back the streams beyond it).
//
// Everything runs on one executor (the worker's), no locks. It is a user of the HTTP/2 engine
// (h2/engine.h) over the channel: the engine reads and writes, this builds each stream's
// response from nghttp2's events (h2_upstream_callbacks.cc).
// A stream past its deadline is reset alone (RST_STREAM CANCEL); the connection goes on. A
// connection failure ends every stream. A GOAWAY lets the streams the server took finish;
// nghttp2 closes the others with REFUSED_STREAM, and they end as kRefused (safe to retry).
#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "h2/deadline_signal.h"
#include "h2/engine.h"
#include "l7/http_message.h"
#include "l7/upstream_pool.h"
#include "transport/upstream_channel.h"
#include "upstream/circuit_breaker.h"

namespace zmesh::l7 {

struct H2UpstreamOptions {
  // The server's MAX_CONCURRENT_STREAMS until its SETTINGS arrive (what most servers send).
  uint32_t assumed_streams = 100;
  uint64_t max_requests = 0;  // maxRequestsPerConnection: streams it may carry, 0 unlimited
  // http.idleTimeout (Istio's 1h by default); nullopt: never closed for idleness.
  std::optional<std::chrono::steady_clock::duration> idle_timeout = std::chrono::hours(1);
  // tcp.maxConnectionDuration: drained (GOAWAY) once this old; nullopt: unlimited.
  std::optional<std::chrono::steady_clock::duration> max_duration;
  // http.maxConcurrentStreams: streams at once, below the server's limit; 0: the server's.
  uint32_t max_streams = 0;
  // http.http2KeepAlive: a PING every `ping_interval`; closed without an ACK in `ping_timeout`.
  std::optional<std::chrono::steady_clock::duration> ping_interval;
  std::chrono::steady_clock::duration ping_timeout{};
  // Large windows so that a response body is not throttled by round trips.
  uint32_t stream_window = 1u << 20;
  uint32_t connection_window = 1u << 20;
  size_t max_body = kMaxBody;
  size_t max_header = kMaxHeader;
};

// How one exchange ended.
struct H2Exchange {
  enum class End {
    kResponse,        // a complete response, trailers included
    kRefused,         // the server did not take the stream (REFUSED_STREAM, GOAWAY)
    kReset,           // the stream or the connection died before the response was complete
    kTimeout,         // the deadline passed: the stream was reset, the connection lives
    kConnectFailure,  // the connection failed before it was ready (before the server's SETTINGS)
  };
  End end = End::kReset;
  Response response;
  bool request_started = false;  // our HEADERS went out
  bool connection_lost = false;  // kReset: because the connection failed
  bool any_response = false;     // some of the response had arrived
  std::string error;
};

class H2ChannelTransport;
namespace h2_upstream {
struct Stream;
}  // namespace h2_upstream

class H2UpstreamConnection : public std::enable_shared_from_this<H2UpstreamConnection>,
                             private h2::Hooks {
 public:
  using Clock = std::chrono::steady_clock;

  H2UpstreamConnection(const boost::asio::any_io_executor& executor,
                       const H2UpstreamOptions& options = {});
  ~H2UpstreamConnection();
  H2UpstreamConnection(const H2UpstreamConnection&) = delete;
  H2UpstreamConnection& operator=(const H2UpstreamConnection&) = delete;

  // Runs the session over `channel`: the preface and our SETTINGS go out at once.
  void start(std::unique_ptr<transport::UpstreamChannel> channel);
  // Ends the connection (the channel could not be opened, or it broke): open streams fail.
  void fail(const std::string& why);
  // Graceful: GOAWAY, then close once the streams in flight are done.
  void shutdown();

  // Until the server's first SETTINGS (true), the connection's end or `deadline` (false).
  boost::asio::awaitable<bool> wait_ready(std::optional<Clock::time_point> deadline);
  // Until a lease is returned or the connection changes state; false past `deadline`.
  boost::asio::awaitable<bool> wait_change(std::optional<Clock::time_point> deadline);

  // `request` on a new stream, its whole response; the stream is reset at `deadline`.
  // `request` must stay alive until this returns.
  boost::asio::awaitable<H2Exchange> exchange(const Request& request, bool head,
                                              std::optional<Clock::time_point> deadline);

  // For the pool (H2Lease counts the exchanges a connection was given).
  bool ready() const { return ready_; }
  bool closed() const { return engine_.closed(); }
  // May be given another exchange: open, no GOAWAY either way, under max_requests.
  bool accepting() const;
  size_t leased() const { return leased_; }
  size_t capacity() const;  // the server's MAX_CONCURRENT_STREAMS (assumed until known)
  void lease();
  void unlease();
  // A kConnections breaker slot, released when the connection closes.
  void hold_slot(std::shared_ptr<const void> owner, upstream::BreakerSlot slot);
  const std::string& error() const { return engine_.error(); }

  // The peers as the channel was opened (HBONE: mutual TLS).
  std::string security_policy = "none", source_principal, destination_principal;

 private:
  using StreamPtr = std::shared_ptr<h2_upstream::Stream>;

  void changed() { change_.notify(); }
  void arm_idle_timer();
  void arm_duration_timer();
  void arm_ping_timer();
  void on_ping_ack();
  void finish(h2_upstream::Stream& stream, H2Exchange::End end, std::string error = {});
  h2_upstream::Stream* find(int32_t stream_id) const;
  void on_settings();
  void on_goaway();
  void on_headers_done(h2_upstream::Stream& stream, bool end_stream);

  // h2::Hooks (h2_upstream_callbacks.cc, the connection's end here).
  int on_header(const nghttp2_frame& frame, std::string_view name, std::string_view value) override;
  int on_frame_recv(const nghttp2_frame& frame) override;
  int on_data(int32_t stream_id, const uint8_t* data, size_t length) override;
  void on_stream_close(int32_t stream_id, uint32_t error_code) override;
  void on_frame_sent(const nghttp2_frame& frame) override;
  ssize_t read_data(int32_t stream_id, uint8_t* buf, size_t length, uint32_t* flags) override;
  void on_eof() override;
  void on_finished() override;
  void on_closed() override;

  boost::asio::any_io_executor executor_;
  H2UpstreamOptions options_;
  h2::Engine engine_;
  std::unique_ptr<H2ChannelTransport> transport_;   // from start()
  std::unordered_map<int32_t, StreamPtr> streams_;  // exchanges waiting for their response
  h2::DeadlineSignal change_;                       // ready, closed, GOAWAY, a lease returned
  boost::asio::steady_timer idle_timer_;
  boost::asio::steady_timer duration_timer_;  // maxConnectionDuration
  boost::asio::steady_timer ping_timer_;      // http2KeepAlive: next PING, or its ACK's deadline
  bool ping_outstanding_ = false;
  std::shared_ptr<const void> breaker_owner_;  // keeps the breaker of `slot_` alive
  upstream::BreakerSlot slot_;
  size_t leased_ = 0;
  uint64_t leases_ = 0;  // ever given, for max_requests
  bool ready_ = false;
  bool goaway_ = false;    // the server sent GOAWAY
  bool draining_ = false;  // we sent GOAWAY (shutdown)
};

}  // namespace zmesh::l7
