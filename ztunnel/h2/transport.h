// The bytes under an HTTP/2 engine (h2/engine.h): whatever carries the connection, a plain TCP
// socket, TLS with HBONE's own record handling, an HBONE stream. The engine reads from it into
// nghttp2, and hands it nghttp2's output to send: put() takes bytes without I/O (it may copy
// them into one batch, or encrypt them at once), flush() sends what was put. Calls are per
// read, per frame or per batch, never per byte.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "common/result.h"

namespace zmesh::h2 {

class Transport {
 public:
  virtual ~Transport() = default;

  // Once, before any I/O. `wake` asks the engine's writer to run (e.g. reading produced
  // output of the transport's own to flush). An error: the connection cannot run.
  virtual Result<void> start(std::function<void()> wake) = 0;

  // At least one byte into `out`; 0 when the peer closed its side. One reader at a time.
  virtual boost::asio::awaitable<Result<size_t>> read_some(uint8_t* out, size_t capacity) = 0;

  // Takes `data` for sending (no I/O); `data` may go away on return.
  virtual Result<void> put(const uint8_t* data, size_t length) = 0;
  // Bytes taken but not yet sent.
  virtual size_t pending() const = 0;
  // Sends what was put. One writer at a time; may run concurrently with read_some.
  virtual boost::asio::awaitable<Result<void>> flush() = 0;

  // No more output from us (a TCP half-close where the transport has one).
  virtual void shutdown_send() = 0;
  // Ends the I/O: pending and later reads and flushes fail.
  virtual void close() = 0;
};

}  // namespace zmesh::h2
