// One HTTP/2 connection over TLS (internal to hbone/), either role. Everything runs on the
// socket's executor, one worker, no locks. Three coroutines share it:
//  - the reader: TLS (TlsChannel) -> nghttp2_session_mem_recv -> streams' receive queues, then
//  wakes the
//    writer (acks, window updates);
//  - the writer: drains nghttp2_session_mem_send, coalescing small frames into one TLS
//    record; big DATA payloads are encrypted straight from the streams' send queues
//    (NO_COPY). One send() per batch;
//  - housekeeping: keepalive PINGs, idle GOAWAY, the final linger.
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
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "h2/signal.h"
#include "hbone/connect_request.h"
#include "hbone/server.h"
#include "hbone/session_options.h"
#include "hbone/stream.h"
#include "hbone/tls_channel.h"

namespace zmesh::hbone::detail {

class StreamImpl;

struct NgSessionDeleter {
  void operator()(nghttp2_session* session) const { nghttp2_session_del(session); }
};
using NgSessionPtr = std::unique_ptr<nghttp2_session, NgSessionDeleter>;

class Session : public std::enable_shared_from_this<Session> {
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
  bool usable() const { return !closed_ && !draining_ && !goaway_received_; }
  size_t stream_count() const { return streams_.size(); }
  // min(our max_concurrent_streams, the peer's SETTINGS_MAX_CONCURRENT_STREAMS).
  size_t stream_limit() const;
  // Graceful close: GOAWAY now, close the connection once the streams are done.
  void shutdown();
  // Why the session ended (empty while it runs or after a clean close).
  const std::string& error() const { return error_; }

  // For StreamImpl.
  boost::asio::any_io_executor executor() const { return socket_->get_executor(); }
  nghttp2_session* ng() const { return ng_.get(); }
  bool closed() const { return closed_; }
  void kick() { writer_wake_.notify(); }
  void consume(int32_t stream_id, size_t bytes);

 private:
  friend struct Callbacks;

  void submit_settings();
  boost::asio::awaitable<void> read_loop();
  static boost::asio::awaitable<void> write_loop(std::shared_ptr<Session> self);
  static boost::asio::awaitable<void> housekeeping(std::shared_ptr<Session> self);
  bool fill_output();
  size_t output_size() const { return output_.size() + tls_.pending_output(); }
  void fail(const std::string& why);
  void teardown();
  void rearm_housekeeping() { housekeeping_timer_.cancel(); }

  // nghttp2 callbacks land here (session_callbacks.cc).
  void on_request_headers(int32_t stream_id, bool end_stream);
  void on_stream_closed(int32_t stream_id, uint32_t error_code);
  void on_frame_sent(const nghttp2_frame* frame);
  Result<void> send_data_frame(StreamImpl& stream, const uint8_t* frame_header, size_t length);

  std::shared_ptr<TlsSocket> socket_;
  TlsChannel tls_;
  Role role_;
  SessionOptions options_;
  NgSessionPtr ng_;
  std::vector<uint8_t> input_;   // one TLS read
  std::vector<uint8_t> output_;  // small frames, coalesced into one TLS record
  h2::Signal writer_wake_;
  boost::asio::steady_timer housekeeping_timer_;

  std::unordered_map<int32_t, std::shared_ptr<StreamImpl>> streams_;
  std::unordered_map<int32_t, Headers> requests_;  // server: header blocks being received
  RequestHandler on_request_;
  std::shared_ptr<const void> held_;

  using Clock = std::chrono::steady_clock;
  Clock::time_point last_read_;
  Clock::time_point idle_since_;
  Clock::time_point ping_sent_;
  Clock::time_point linger_until_ = Clock::time_point::max();
  bool ping_outstanding_ = false;
  bool draining_ = false;         // we sent GOAWAY
  bool goaway_received_ = false;  // the peer sent GOAWAY
  bool closed_ = false;           // the socket is closed or closing: no more I/O
  std::string error_;
};

// nghttp2 glue (session_callbacks.cc).
NgSessionPtr new_ng_session(Session::Role role, Session* session);
// The DATA source of every stream: reads the stream's send queue (NO_COPY).
nghttp2_data_provider stream_data_provider();
// nghttp2_nv for a header (nghttp2 copies names and values).
nghttp2_nv make_nv(const std::string& name, const std::string& value);

}  // namespace zmesh::hbone::detail
