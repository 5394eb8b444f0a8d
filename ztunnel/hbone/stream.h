// One HBONE tunnel: a CONNECT stream on an HTTP/2 session, used as a bidirectional byte
// stream. Lives on its session's executor (one worker); use it only from there.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/result.h"
#include "hbone/connect_request.h"

namespace zmesh::hbone {

class Stream {
 public:
  virtual ~Stream() = default;

  // The request this stream carries (server side: as parsed; client side: as sent).
  virtual const ConnectRequest& request() const = 0;

  // Server side only, once, before any read/write: answers the CONNECT (200 opens the
  // tunnel; anything else ends the stream, e.g. 401, 503).
  virtual void respond(int status) = 0;

  // Up to buffer_size bytes from the peer; 0 when the peer ended its side (END_STREAM).
  // An error when the stream was reset or the session died. Reading frees HTTP/2 flow
  // control window only as bytes are taken, so a slow reader slows the peer.
  virtual boost::asio::awaitable<Result<size_t>> read_some(boost::asio::mutable_buffer buffer) = 0;

  // Queues all of `buffer` for sending; completes once it is accepted (a bounded send
  // buffer: back-pressure when the peer's window is closed).
  virtual boost::asio::awaitable<Result<void>> write(boost::asio::const_buffer buffer) = 0;

  // Ends our side (END_STREAM after queued data). Reading may go on.
  virtual void close_write() = 0;
  // Abandons the stream (RST_STREAM CANCEL); pending reads/writes fail.
  virtual void reset() = 0;
};

}  // namespace zmesh::hbone
