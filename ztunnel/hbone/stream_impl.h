// A CONNECT stream's state on an HTTP/2 session (internal), and the Stream handle users get.
// Receive: DATA lands in the waiting reader's buffer (or, for start_stream_relay, goes
// straight from nghttp2's input into the relay's socket), else in a queue bounded by the
// stream window, and the window is given back (nghttp2_session_consume) only as the reader
// (or the socket) takes bytes. Send: write() appends to a bounded queue that the session's writer
// drains into DATA frames. The session owns the state while the HTTP/2 stream is open, so a handle
// dropped after close_write() still flushes its queued bytes and END_STREAM. The state points
// back at the session without owning it: it is reachable only through the session's table
// or a handle, and a handle keeps the session alive.
#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "h2/signal.h"
#include "h2/transport.h"
#include "hbone/byte_ring.h"
#include "hbone/stream.h"
#include "hbone/tuning.h"

namespace zmesh::hbone::detail {

class Session;

class StreamImpl {
 public:
  StreamImpl(Session& session, ConnectRequest request, bool server);

  // The Stream interface (through StreamHandle).
  const ConnectRequest& request() const { return request_; }
  void respond(int status);
  boost::asio::awaitable<Result<size_t>> read_some(boost::asio::mutable_buffer buffer);
  boost::asio::awaitable<Result<void>> write(boost::asio::const_buffer buffer);
  void close_write();
  void reset();
  // The handle went away: flush what close_write() ended, else cancel.
  void abandon();

  // Session side. `sending`: the DATA provider is attached (client request, or 200).
  void attach(int32_t id, bool sending);
  // Client: waits for the final response status (or the stream's failure).
  boost::asio::awaitable<Result<int>> response_status();
  // The peer refused the stream unprocessed (REFUSED_STREAM, or beyond its GOAWAY).
  bool refused_by_peer() const { return refused_by_peer_; }

  // From nghttp2 callbacks.
  void on_data(const uint8_t* data, size_t length);
  void on_end_of_data();
  void on_status_header(int status) { pending_status_ = status; }
  void on_response_headers();
  void on_end_stream_sent();
  void on_closed(uint32_t error_code);
  void fail(const std::string& why);
  ssize_t provide(size_t max_length, uint32_t* flags);
  // A DATA frame's payload (`length` bytes promised by provide()) leaves the send queue for
  // `out`, straight from the queue's memory.
  Result<void> send_unsent(h2::Transport& out, size_t length);

  // For start_stream_relay: fills the send queue straight from `socket` (no bounce buffer).
  // Returns the bytes queued, 0 at the socket's EOF (`socket_error` set on its errors), or
  // the stream's error. Waits first while the queue is at its bound. The only writer.
  boost::asio::awaitable<Result<size_t>> write_from(boost::asio::ip::tcp::socket& socket,
                                                    boost::system::error_code& socket_error);
  // For start_stream_relay: delivers the received bytes to `socket` until the peer's
  // END_STREAM (then returns ok) or a socket error (ok, `socket_error` set), else the
  // stream's error. While it runs, DATA is sent to the socket from the DATA callback itself
  // (non-blocking, no copy); only what the socket does not take is queued, and drained from
  // here as the socket drains. `delivered` counts each byte handed to the socket. The only
  // reader.
  boost::asio::awaitable<Result<void>> deliver_to(boost::asio::ip::tcp::socket& socket,
                                                  std::function<void(size_t)> delivered,
                                                  boost::system::error_code& socket_error);

 private:
  bool io_open() const;
  void resume_sending();
  void discard_received();
  // Non-blocking send of `data` to the relay's socket; returns how much it took.
  size_t send_to_sink(const uint8_t* data, size_t length);
  void send_reset(uint32_t error_code);

  Session* session_;
  ConnectRequest request_;
  int32_t id_ = 0;
  bool server_;
  bool attached_ = false;  // the nghttp2 stream is open
  bool sending_ = false;   // DATA provider attached
  bool responded_ = false;
  bool refused_ = false;  // answered non-200: the session ends the stream
  bool abandoned_ = false;
  bool reset_sent_ = false;
  bool refused_by_peer_ = false;
  int pending_status_ = 0;  // last :status seen (-1: invalid)
  int status_ = 0;          // final response status (client)

  ByteRing received_;
  boost::asio::mutable_buffer direct_;  // the waiting reader's buffer
  size_t direct_filled_ = 0;
  bool end_of_data_ = false;
  h2::Signal readable_;
  boost::asio::ip::tcp::socket* sink_ = nullptr;  // deliver_to's socket, while it runs
  std::function<void(size_t)> sink_delivered_;
  boost::system::error_code sink_error_;

  ByteRing unsent_;
  bool write_closed_ = false;                // close_write() called
  bool eof_queued_ = false;                  // END_STREAM handed to nghttp2
  bool eof_sent_ = false;                    // ... and written out
  bool deferred_ = false;                    // the provider said DEFERRED: resume on new data
  bool send_closed_ = false;                 // the stream can no longer carry our data
  size_t relay_read_size_ = kInitialBuffer;  // write_from's next socket read
  h2::Signal writable_;

  bool failed_ = false;
  std::string error_;
};

// What users hold. Dropping it abandons the stream (see StreamImpl::abandon).
class StreamHandle final : public Stream {
 public:
  StreamHandle(std::shared_ptr<Session> session, std::shared_ptr<StreamImpl> impl)
      : session_(std::move(session)), impl_(std::move(impl)) {}
  ~StreamHandle() override { impl_->abandon(); }

  const ConnectRequest& request() const override { return impl_->request(); }
  void respond(int status) override { impl_->respond(status); }
  boost::asio::awaitable<Result<size_t>> read_some(boost::asio::mutable_buffer buffer) override {
    return impl_->read_some(buffer);
  }
  boost::asio::awaitable<Result<void>> write(boost::asio::const_buffer buffer) override {
    return impl_->write(buffer);
  }
  void close_write() override { impl_->close_write(); }
  void reset() override { impl_->reset(); }

  StreamImpl& impl() { return *impl_; }

 private:
  std::shared_ptr<Session> session_;  // declared first: outlives impl_->abandon()
  std::shared_ptr<StreamImpl> impl_;
};

}  // namespace zmesh::hbone::detail
