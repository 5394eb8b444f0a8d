// Internal to H2ServerSession and its engine hooks (h2_server_callbacks.cc): one request stream
// as it is received and answered.
#pragma once

#include <cstdint>
#include <string>

#include "l7/http_message.h"

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

}  // namespace zmesh::l7::h2_server
