// HTTP/2 tuning for HBONE sessions, both sides.
#pragma once

#include <chrono>
#include <cstdint>

namespace zmesh::hbone {

struct SessionOptions {
  uint32_t max_concurrent_streams = 100;                // per connection (client pools by this)
  uint32_t stream_window = 4u << 20;                    // initial per-stream receive window
  uint32_t connection_window = 16u << 20;               // session receive window
  uint32_t max_frame_size = 1u << 16;                   // SETTINGS_MAX_FRAME_SIZE we accept
  std::chrono::milliseconds idle_timeout{60000};        // no streams for this long -> GOAWAY, close
  std::chrono::milliseconds keepalive_interval{10000};  // PING when the wire is quiet
  std::chrono::milliseconds keepalive_timeout{5000};    // no PING ack -> session dead
  std::chrono::milliseconds connect_timeout{10000};     // client TLS handshake deadline
};

}  // namespace zmesh::hbone
