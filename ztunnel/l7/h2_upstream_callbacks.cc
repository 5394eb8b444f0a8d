// H2UpstreamConnection's hooks on the HTTP/2 engine (nghttp2's events): they assemble each stream's
// response (status, headers, body, trailers) and feed the request body out. nghttp2 checks the
// responses itself
// (:status present, no connection-specific headers, Content-Length against the DATA): a
// malformed one resets its stream, which then ends as kReset. Never throw from here: nghttp2
// is C.
#include <charconv>
#include <cstring>
#include <new>
#include <string_view>

#include "l7/h2_trailers.h"
#include "l7/h2_upstream_connection.h"
#include "l7/h2_upstream_stream.h"

namespace zmesh::l7 {
using h2_upstream::Stream;

namespace {

boost::beast::string_view beast_view(std::string_view s) {
  return {s.data(), s.size()};
}

bool is_headers(const nghttp2_frame* frame) {
  return frame->hd.type == NGHTTP2_HEADERS;
}

}  // namespace

int H2UpstreamConnection::on_header(const nghttp2_frame& frame, std::string_view n,
                                    std::string_view v) {
  if (!is_headers(&frame)) return 0;
  Stream* s = find(frame.hd.stream_id);
  if (!s || s->done || s->too_large) return 0;
  s->x.any_response = true;
  s->header_bytes += n.size() + v.size() + 32;
  if (s->header_bytes > options_.max_header) {
    s->too_large = true;
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream
  }
  try {
    if (s->final_headers) {  // a header block after the final one: trailers
      if (!n.starts_with(':')) s->x.response.trailers.add(std::string(n), std::string(v));
    } else if (n == ":status") {
      unsigned status = 0;
      std::from_chars(v.data(), v.data() + v.size(), status);  // nghttp2 checked it
      s->status = status;
    } else if (!n.starts_with(':')) {
      s->x.response.insert(beast_view(n), beast_view(v));
    }
  } catch (const std::exception&) {  // Beast refuses some values
    s->too_large = true;
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  return 0;
}

int H2UpstreamConnection::on_frame_recv(const nghttp2_frame& frame) {
  const bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame.hd.type) {
    case NGHTTP2_SETTINGS:
      if ((frame.hd.flags & NGHTTP2_FLAG_ACK) == 0) on_settings();
      return 0;
    case NGHTTP2_PING:
      if ((frame.hd.flags & NGHTTP2_FLAG_ACK) != 0) on_ping_ack();
      return 0;
    case NGHTTP2_GOAWAY:
      on_goaway();  // nghttp2 has closed the streams past last_stream_id (REFUSED_STREAM)
      return 0;
    case NGHTTP2_HEADERS:
      if (Stream* s = find(frame.hd.stream_id)) on_headers_done(*s, end_stream);
      return 0;
    case NGHTTP2_DATA:
      if (Stream* s = find(frame.hd.stream_id); s && end_stream && !s->too_large)
        finish(*s, H2Exchange::End::kResponse);
      return 0;
    default:
      return 0;
  }
}

int H2UpstreamConnection::on_data(int32_t stream_id, const uint8_t* data, size_t len) {
  Stream* s = find(stream_id);
  if (!s || s->done || s->too_large) return 0;  // nghttp2 gives the window back by itself
  s->x.any_response = true;
  auto& body = s->x.response.body();
  if (body.size() + len > options_.max_body) {
    s->too_large = true;
    nghttp2_submit_rst_stream(engine_.ng(), NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
    return 0;
  }
  try {
    body.append(reinterpret_cast<const char*>(data), len);
  } catch (const std::bad_alloc&) {
    s->too_large = true;
    nghttp2_submit_rst_stream(engine_.ng(), NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_INTERNAL_ERROR);
  }
  return 0;
}

void H2UpstreamConnection::on_frame_sent(const nghttp2_frame& frame) {
  if (!is_headers(&frame)) return;
  if (Stream* s = find(frame.hd.stream_id)) s->x.request_started = true;
}

// The DATA source of every request: its body (copied into DATA frames), then its trailers.
ssize_t H2UpstreamConnection::read_data(int32_t stream_id, uint8_t* buf, size_t length,
                                        uint32_t* data_flags) {
  Stream* s = find(stream_id);
  if (!s || !s->request) {  // the exchange is over: end our side
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return 0;
  }
  const std::string& body = s->request->body();
  const size_t n = std::min(length, body.size() - s->body_sent);
  std::memcpy(buf, body.data() + s->body_sent, n);
  s->body_sent += n;
  if (s->body_sent == body.size()) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    submit_trailers_at_eof(engine_.ng(), stream_id, s->request->trailers, data_flags);
  }
  return static_cast<ssize_t>(n);
}

}  // namespace zmesh::l7
