// One exchange's state inside H2UpstreamConnection (internal to it and its engine hooks).
#pragma once

#include <cstdint>
#include <memory>

#include "h2/deadline_signal.h"
#include "l7/h2_upstream_connection.h"

namespace zmesh::l7::h2_upstream {

struct Stream {
  int32_t id = 0;
  const Request* request = nullptr;  // the body's source; null once the exchange is over
  size_t body_sent = 0;
  unsigned status = 0;         // :status of the header block being received
  bool final_headers = false;  // the final (non-1xx) headers are in: a next block is trailers
  size_t header_bytes = 0;
  bool too_large = false;   // the response broke a limit: the stream is being reset
  bool done = false;        // `x` is final
  H2Exchange x;             // the response being built, then the outcome
  h2::DeadlineSignal wake;  // done
};

}  // namespace zmesh::l7::h2_upstream
