// What a protocol running on the HTTP/2 engine (h2/engine.h) implements: nghttp2's events for
// its streams and the DATA it sends, plus the connection's end. Called on the engine's
// executor, most of them from inside nghttp2 (C): never throw. An int result is nghttp2's: 0,
// NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE to reset the stream, anything else fatal.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "h2/transport.h"

namespace zmesh::h2 {

class Hooks {
 public:
  // Receiving. on_frame_recv sees every frame once it is complete (HEADERS after their
  // on_header calls, DATA after its chunks, SETTINGS, PING, GOAWAY, ...).
  virtual int on_begin_headers(const nghttp2_frame&) { return 0; }
  virtual int on_header(const nghttp2_frame& frame, std::string_view name,
                        std::string_view value) = 0;
  virtual int on_frame_recv(const nghttp2_frame& frame) = 0;
  virtual int on_data(int32_t stream_id, const uint8_t* data, size_t length) = 0;
  virtual void on_stream_close(int32_t stream_id, uint32_t error_code) = 0;

  // Sending. read_data: the DATA source of the streams submitted with Engine::data_provider()
  // (nghttp2's read callback: bytes into `buf`, or NGHTTP2_DATA_FLAG_NO_COPY and then
  // write_data). write_data (EngineOptions::direct_data): puts a DATA frame into `out`, its
  // 9-byte header then `length` payload bytes; NGHTTP2_ERR_WOULDBLOCK offers it again later.
  virtual void on_frame_sent(const nghttp2_frame&) {}
  virtual ssize_t read_data(int32_t, uint8_t*, size_t, uint32_t*) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  virtual int write_data(const nghttp2_frame&, const uint8_t*, size_t, Transport&) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }

  // The connection. on_eof: the peer closed its side (the engine goes on writing unless the
  // hook closes it). busy: after that EOF, answers are still being made (the writer waits for
  // them). on_finished: HTTP/2 is over, nothing to read or send (GOAWAY and no streams, or
  // the peer's EOF and nothing busy). on_closed: the engine closed, no more I/O.
  virtual void on_eof() {}
  virtual bool busy() const { return false; }
  virtual void on_finished() {}
  virtual void on_closed() {}

 protected:
  ~Hooks() = default;
};

}  // namespace zmesh::h2
