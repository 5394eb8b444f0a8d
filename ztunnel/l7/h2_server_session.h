// The downstream half of HTTP/2 on the L7 path: an app that speaks cleartext HTTP/2 with prior
// knowledge (h2c; gRPC clients, curl --http2-prior-knowledge) to a Service port. Each complete
// request becomes an l7::Request (version 20, :authority in Host) handed to a handler; requests
// on different streams are handled concurrently, and the session keeps reading meanwhile.
//
// It is a user of the HTTP/2 engine (h2/engine.h) over the socket: the engine reads and
// writes, this builds each request from nghttp2's events (h2_server_callbacks.cc) and runs one
// coroutine per complete request, the handler, then submits its response.
// Flow control is nghttp2's (automatic WINDOW_UPDATEs): bodies are buffered whole anyway.
#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "h2/engine.h"
#include "h2/signal.h"
#include "h2/socket_transport.h"
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
struct Stream;
}  // namespace h2_server

class H2ServerSession : public std::enable_shared_from_this<H2ServerSession>, private h2::Hooks {
 public:
  // Whether the client is gone for a request: its stream reset or the connection closed. The
  // response is then dropped (telemetry calls that DC).
  using Gone = std::function<bool()>;
  // Fills `response` for `request`. Its trailers go out as HTTP/2 trailers. The handler may
  // take its time: other streams keep flowing; `gone` tells whether anyone still waits.
  using Handler = std::function<boost::asio::awaitable<void>(Request&, Response&, const Gone&)>;

  H2ServerSession(boost::asio::ip::tcp::socket& socket, Handler handler,
                  const H2ServerOptions& options = {});
  // Over any byte transport (the destination's pipeline: an HBONE stream or a socket, through
  // H2ChannelTransport), run on `executor`.
  H2ServerSession(const boost::asio::any_io_executor& executor,
                  std::unique_ptr<h2::Transport> transport, Handler handler,
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
  using StreamPtr = std::shared_ptr<h2_server::Stream>;

  static boost::asio::awaitable<void> handle(std::shared_ptr<H2ServerSession> self,
                                             StreamPtr stream);
  bool on_request_complete(int32_t stream_id);  // false: could not start the handler
  void refuse(h2_server::Stream& stream, unsigned status, const char* body);
  void submit(h2_server::Stream& stream, bool head);
  h2_server::Stream* find(int32_t stream_id) const;

  // h2::Hooks (h2_server_callbacks.cc).
  int on_begin_headers(const nghttp2_frame& frame) override;
  int on_header(const nghttp2_frame& frame, std::string_view name, std::string_view value) override;
  int on_frame_recv(const nghttp2_frame& frame) override;
  int on_data(int32_t stream_id, const uint8_t* data, size_t length) override;
  void on_stream_close(int32_t stream_id, uint32_t error_code) override;
  void on_frame_sent(const nghttp2_frame& frame) override;
  ssize_t read_data(int32_t stream_id, uint8_t* buf, size_t length, uint32_t* flags) override;
  bool busy() const override { return handlers_ > 0; }  // their responses are still to come

  Handler handler_;
  H2ServerOptions options_;
  std::unique_ptr<h2::Transport> transport_;
  h2::Engine engine_;
  std::unordered_map<int32_t, StreamPtr> streams_;  // open in nghttp2's eyes
  h2::Signal done_;                                 // a handler finished
  int handlers_ = 0;                                // handlers still running
};

}  // namespace zmesh::l7
