// The downstream half of HTTP/2 on the L7 path: an app that speaks cleartext HTTP/2 with prior
// knowledge (h2c; gRPC clients, curl --http2-prior-knowledge) to a Service port. Each complete
// request becomes an l7::Request (version 20, :authority in Host) handed to a handler; requests
// on different streams are handled concurrently, and the session keeps reading meanwhile.
//
// Everything runs on the socket's executor (one worker thread, no locks). Coroutines:
//  - the reader: socket -> nghttp2_session_mem_recv (it starts with the bytes the caller
//    already read while looking for the preface);
//  - the writer: nghttp2_session_mem_send -> socket, woken when there may be frames to send;
//  - one per complete request, running the handler and submitting its response.
// Flow control is nghttp2's (automatic WINDOW_UPDATEs): bodies are buffered whole anyway.
#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "h2/signal.h"
#include "l7/http_message.h"

namespace zmesh::l7 {

// Whether a connection's first bytes are the HTTP/2 client preface ("PRI * HTTP/2.0...").
// kPartial: they match so far, read more before deciding.
enum class PrefaceMatch { kNo, kPartial, kYes };
PrefaceMatch match_h2_preface(std::string_view first_bytes);

struct H2ServerOptions {
  // Envoy's default is 2^31-1 streams; 100 is what most servers (and gRPC clients) expect,
  // and caps the bodies held in memory to 100 x max_body per connection.
  uint32_t max_concurrent_streams = 100;
  // Large windows so that a body is not throttled by round trips (64 KiB is the default).
  uint32_t stream_window = 1u << 20;
  uint32_t connection_window = 1u << 20;
  size_t max_body = kMaxBody;      // larger request bodies get 413
  size_t max_header = kMaxHeader;  // larger header blocks get the stream reset
};

namespace h2_server {
struct Callbacks;
struct Stream;
struct NgSessionDeleter {
  void operator()(nghttp2_session* session) const { nghttp2_session_del(session); }
};
}  // namespace h2_server

class H2ServerSession : public std::enable_shared_from_this<H2ServerSession> {
 public:
  // Whether the client is gone for a request: its stream reset or the connection closed. The
  // response is then dropped (telemetry calls that DC).
  using Gone = std::function<bool()>;
  // Fills `response` for `request`. Its trailers go out as HTTP/2 trailers. The handler may
  // take its time: other streams keep flowing; `gone` tells whether anyone still waits.
  using Handler = std::function<boost::asio::awaitable<void>(Request&, Response&, const Gone&)>;

  H2ServerSession(boost::asio::ip::tcp::socket& socket, Handler handler,
                  const H2ServerOptions& options = {});
  ~H2ServerSession();
  H2ServerSession(const H2ServerSession&) = delete;
  H2ServerSession& operator=(const H2ServerSession&) = delete;

  // Serves the connection until it ends; returns once every handler has returned, so what the
  // handler refers to may live in the caller's frame. `preread`: bytes already taken from the
  // socket (the preface and whatever followed it).
  static boost::asio::awaitable<void> run(std::shared_ptr<H2ServerSession> self,
                                          std::vector<uint8_t> preread);

 private:
  friend struct h2_server::Callbacks;
  using StreamPtr = std::shared_ptr<h2_server::Stream>;

  boost::asio::awaitable<void> read_loop(std::vector<uint8_t> preread);
  static boost::asio::awaitable<void> write_loop(std::shared_ptr<H2ServerSession> self);
  static boost::asio::awaitable<void> handle(std::shared_ptr<H2ServerSession> self,
                                             StreamPtr stream);
  bool feed(const uint8_t* data, size_t size);
  bool finished_writing() const;
  void kick() { writer_wake_.notify(); }
  void fail();

  // From the nghttp2 callbacks (h2_server_callbacks.cc).
  bool on_request_complete(int32_t stream_id);  // false: could not start the handler
  void refuse(h2_server::Stream& stream, unsigned status, const char* body);
  void submit(h2_server::Stream& stream, bool head);
  void on_stream_closed(int32_t stream_id);
  h2_server::Stream* find(int32_t stream_id) const;

  boost::asio::ip::tcp::socket& socket_;
  Handler handler_;
  H2ServerOptions options_;
  std::unique_ptr<nghttp2_session, h2_server::NgSessionDeleter> ng_;
  std::unordered_map<int32_t, StreamPtr> streams_;  // open in nghttp2's eyes
  std::vector<uint8_t> output_;
  h2::Signal writer_wake_;
  h2::Signal done_;                   // the writer or a handler finished
  boost::asio::steady_timer linger_;  // after our last frames, until the client closes
  int handlers_ = 0;                  // handlers still running
  bool writing_ = false;              // the writer coroutine runs
  bool read_closed_ = false;          // the client closed its side (or the socket failed)
  bool closed_ = false;               // the socket is closed: no more I/O, responses are dropped
};

}  // namespace zmesh::l7
