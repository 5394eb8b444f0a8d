// One HTTP/2 connection over TLS (internal to hbone/), either role: a user of the HTTP/2 engine
// (h2/engine.h) over TlsChannel. Everything runs on the socket's executor, one worker, no
// locks. The engine reads (TLS -> nghttp2 -> the streams' receive queues) and writes (small
// frames coalesced into one TLS record; big DATA payloads encrypted straight from the streams'
// send queues, NO_COPY, through write_data; one send() per batch). Besides, a housekeeping
// coroutine sends keepalive PINGs and the idle GOAWAY.
// The session owns each open stream's state (StreamImpl) until nghttp2 closes the stream or
// the session ends; users hold a StreamHandle (state + session).
#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.h"
#include "h2/engine.h"
#include "hbone/connect_request.h"
#include "hbone/server.h"
#include "hbone/session_options.h"
#include "hbone/stream.h"
#include "hbone/tls_channel.h"

namespace zmesh::hbone::detail {

class StreamImpl;

class Session : public std::enable_shared_from_this<Session>, private h2::Hooks {
 public:
  enum class Role { kClient, kServer };
  using RequestHandler = std::function<void(std::shared_ptr<Stream>)>;

  Session(std::shared_ptr<TlsSocket> socket, Role role, const SessionOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs the connection until it is closed; then every stream has failed or finished.
  static boost::asio::awaitable<void> run(std::shared_ptr<Session> self);

  // Server: receives each well-formed CONNECT (set before run()).
  void set_request_handler(RequestHandler handler) { on_request_ = std::move(handler); }
  // Client: sends CONNECT and waits for the response; non-200 is an error. `refused`: the
  // stream never reached the peer's application (REFUSED_STREAM, GOAWAY): safe to retry.
  boost::asio::awaitable<Result<std::shared_ptr<Stream>>> open_stream(ConnectRequest request,
                                                                      bool* refused = nullptr);
  // Keeps `owner` (e.g. the TLS context) alive as long as the session.
  void hold(std::shared_ptr<const void> owner) { held_ = std::move(owner); }

  // Can take another stream: running, not draining, no GOAWAY from the peer.
  bool usable() const {
    return !closed() && !draining_ && !engine_.finished() && !engine_.goaway_received();
  }
  size_t stream_count() const { return streams_.size(); }
  // min(our max_concurrent_streams, the peer's SETTINGS_MAX_CONCURRENT_STREAMS).
  size_t stream_limit() const;
  // Graceful close: GOAWAY now, close the connection once the streams are done.
  void shutdown();
  // Why the session ended (empty while it runs or after a clean close).
  const std::string& error() const { return engine_.error(); }

  // For StreamImpl.
  boost::asio::any_io_executor executor() const { return engine_.executor(); }
  nghttp2_session* ng() const { return engine_.ng(); }
  bool closed() const { return engine_.closed(); }
  void kick() { engine_.kick(); }
  void consume(int32_t stream_id, size_t bytes);
  // The DATA source of every stream: reads the stream's send queue (NO_COPY).
  nghttp2_data_provider data_provider() { return engine_.data_provider(); }

 private:
  static boost::asio::awaitable<void> housekeeping(std::shared_ptr<Session> self);
  void fail(const std::string& why) { engine_.close(why); }
  void teardown();
  void rearm_housekeeping() { housekeeping_timer_.cancel(); }
  StreamImpl* find_stream(int32_t stream_id) const;
  void on_request_headers(int32_t stream_id, bool end_stream);

  // h2::Hooks (session_callbacks.cc).
  int on_header(const nghttp2_frame& frame, std::string_view name, std::string_view value) override;
  int on_frame_recv(const nghttp2_frame& frame) override;
  int on_data(int32_t stream_id, const uint8_t* data, size_t length) override;
  void on_stream_close(int32_t stream_id, uint32_t error_code) override;
  void on_frame_sent(const nghttp2_frame& frame) override;
  ssize_t read_data(int32_t stream_id, uint8_t* buf, size_t length, uint32_t* flags) override;
  int write_data(const nghttp2_frame& frame, const uint8_t* frame_header, size_t length,
                 h2::Transport& out) override;
  void on_eof() override;
  void on_closed() override { housekeeping_timer_.cancel(); }

  std::shared_ptr<TlsSocket> socket_;
  TlsChannel tls_;
  Role role_;
  SessionOptions options_;
  h2::Engine engine_;
  boost::asio::steady_timer housekeeping_timer_;

  std::unordered_map<int32_t, std::shared_ptr<StreamImpl>> streams_;
  std::unordered_map<int32_t, Headers> requests_;  // server: header blocks being received
  RequestHandler on_request_;
  std::shared_ptr<const void> held_;

  using Clock = std::chrono::steady_clock;
  Clock::time_point idle_since_;
  Clock::time_point ping_sent_;
  bool ping_outstanding_ = false;
  bool draining_ = false;  // we sent GOAWAY
};

// nghttp2_nv for a header (nghttp2 copies names and values).
nghttp2_nv make_nv(const std::string& name, const std::string& value);

}  // namespace zmesh::hbone::detail
