// H2ServerSession's hooks on the HTTP/2 engine (nghttp2's events): they assemble each stream's
// l7::Request and feed the response body out. nghttp2 checks the messages itself (pseudo-headers,
// content-length, connection-specific headers): a malformed request never reaches these callbacks,
// its stream is reset with PROTOCOL_ERROR. Never throw from here: nghttp2 is C.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <new>
#include <string_view>
#include <vector>

#include "l7/h2_server_session.h"
#include "l7/h2_server_stream.h"
#include "l7/h2_trailers.h"

namespace zmesh::l7 {
using h2_server::Stream;

namespace {

boost::beast::string_view beast_view(std::string_view s) {
  return {s.data(), s.size()};
}

bool is_request_headers(const nghttp2_frame* frame) {
  return frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST;
}

// HTTP/2 splits Cookie into crumbs (RFC 9113 8.2.3); HTTP/1.1 and the routing core want one.
void add_header(Stream& s, std::string_view name, std::string_view value) {
  if (name == ":method") {
    s.request.method_string(beast_view(value));
  } else if (name == ":path") {
    s.request.target(beast_view(value));
  } else if (name == ":authority") {
    s.authority = value;
  } else if (name.starts_with(':')) {
    // :scheme: the routing core assumes http on this cleartext port.
  } else if (name == "cookie") {
    if (!s.cookie.empty()) s.cookie += "; ";
    s.cookie += value;
  } else if (name == "host") {
    s.host = value;
  } else {
    s.request.insert(beast_view(name), beast_view(value));
  }
}

// The header block is complete: Host is :authority (HTTP/2 clients send that), else a Host
// header. Returns false when the declared body is too large to take.
bool finish_headers(Stream& s, size_t max_body) {
  s.request.version(20);
  if (!s.authority.empty() || !s.host.empty())
    s.request.set(http::field::host, s.authority.empty() ? s.host : s.authority);
  if (!s.cookie.empty()) s.request.set(http::field::cookie, s.cookie);
  s.head = s.request.method() == http::verb::head;
  auto length = s.request[http::field::content_length];
  size_t declared = 0;
  auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), declared);
  return ec != std::errc() || declared <= max_body;
}

}  // namespace

int H2ServerSession::on_begin_headers(const nghttp2_frame& frame) {
  if (!is_request_headers(&frame)) return 0;
  try {
    auto stream = std::make_shared<Stream>();
    stream->id = frame.hd.stream_id;
    streams_[stream->id] = std::move(stream);
  } catch (const std::bad_alloc&) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream
  }
  return 0;
}

int H2ServerSession::on_header(const nghttp2_frame& frame, std::string_view name,
                               std::string_view value) {
  const bool trailer = frame.hd.type == NGHTTP2_HEADERS &&
                       frame.headers.cat == NGHTTP2_HCAT_HEADERS;  // after the body
  if (!is_request_headers(&frame) && !trailer) return 0;
  Stream* s = find(frame.hd.stream_id);
  if (!s) return 0;
  s->header_bytes += name.size() + value.size() + 32;
  if (s->header_bytes > options_.max_header) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  try {
    if (trailer)
      s->request.trailers.add(std::string(name), std::string(value));
    else
      add_header(*s, name, value);
  } catch (const std::exception&) {  // Beast refuses some values; so do we
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  return 0;
}

int H2ServerSession::on_frame_recv(const nghttp2_frame& frame) {
  const int32_t id = frame.hd.stream_id;
  const bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (frame.hd.type != NGHTTP2_HEADERS && frame.hd.type != NGHTTP2_DATA) return 0;
  Stream* s = find(id);
  if (!s || s->refused) return 0;
  if (is_request_headers(&frame) && !finish_headers(*s, options_.max_body)) {
    refuse(*s, 413, "Payload Too Large");
    return 0;
  }
  // Nonzero from this callback would end the connection; a failure ends only the stream.
  if (end_stream && !on_request_complete(id))
    nghttp2_submit_rst_stream(engine_.ng(), NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
  return 0;
}

int H2ServerSession::on_data(int32_t stream_id, const uint8_t* data, size_t len) {
  Stream* s = find(stream_id);
  if (!s || s->refused) return 0;  // nghttp2 gives the window back by itself
  auto& body = s->request.body();
  if (body.size() + len > options_.max_body) {
    refuse(*s, 413, "Payload Too Large");  // as Envoy's buffer limit does
    return 0;
  }
  try {
    body.append(reinterpret_cast<const char*>(data), len);
  } catch (const std::bad_alloc&) {  // nonzero would end the connection
    nghttp2_submit_rst_stream(engine_.ng(), NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_INTERNAL_ERROR);
  }
  return 0;
}

void H2ServerSession::on_frame_sent(const nghttp2_frame& frame) {
  const int32_t id = frame.hd.stream_id;
  if ((frame.hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return;
  if (frame.hd.type != NGHTTP2_HEADERS && frame.hd.type != NGHTTP2_DATA) return;
  // We answered before the request was over (413): that ends the client's side too
  // (RFC 9113 8.1). Only now, after the response: a RST_STREAM queued with it would go first.
  if (!nghttp2_session_get_stream_remote_close(engine_.ng(), id))
    nghttp2_submit_rst_stream(engine_.ng(), NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
}

void H2ServerSession::on_stream_close(int32_t stream_id, uint32_t) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  it->second->closed = true;  // a handler still running drops its response
  streams_.erase(it);
  engine_.kick();
}

// The DATA source of every response: the stream's body, then its trailers.
ssize_t H2ServerSession::read_data(int32_t stream_id, uint8_t* buf, size_t length,
                                   uint32_t* flags) {
  Stream* s = find(stream_id);
  if (!s) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  const auto& body = s->response.body();
  size_t n = std::min(length, body.size() - s->body_sent);
  std::memcpy(buf, body.data() + s->body_sent, n);
  s->body_sent += n;
  if (s->body_sent < body.size()) return static_cast<ssize_t>(n);
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  submit_trailers_at_eof(engine_.ng(), stream_id, s->response.trailers, flags);
  return static_cast<ssize_t>(n);
}

}  // namespace zmesh::l7
