// Internal to H2ServerSession: one request stream as it is received and answered, and the
// nghttp2 glue (h2_server_callbacks.cc).
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>

#include "l7/http_message.h"

namespace zmesh::l7 {
class H2ServerSession;
}

namespace zmesh::l7::h2_server {

struct Stream {
  int32_t id = 0;
  Request request;  // built from the HEADERS and DATA frames
  Response response;
  std::string authority, host, cookie;  // merged into Host and Cookie once the headers are in
  size_t header_bytes = 0;              // as HPACK counts them (name + value + 32)
  size_t body_sent = 0;                 // response body bytes handed to nghttp2
  bool head = false;                    // HEAD: the response goes without a body
  bool refused = false;  // answered by the session itself (413): the rest of the body is dropped
  bool closed = false;   // nghttp2 closed the stream: nobody is left to answer
};

// A server session with the callbacks below; `session` is their user data.
nghttp2_session* new_server_session(H2ServerSession* session);
// The DATA source of every response: the stream's body, then its trailers.
nghttp2_data_provider response_body_provider();

}  // namespace zmesh::l7::h2_server
