// nghttp2's callbacks for H2ServerSession: they assemble each stream's l7::Request and feed
// the response body out. nghttp2 checks the messages itself (pseudo-headers, content-length,
// connection-specific headers): a malformed request never reaches these callbacks, its
// stream is reset with PROTOCOL_ERROR. Never throw from here: nghttp2 is C.
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

namespace zmesh::l7::h2_server {
namespace {

std::string_view view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

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

struct Callbacks {
  static H2ServerSession* session(void* user_data) {
    return static_cast<H2ServerSession*>(user_data);
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (!is_request_headers(frame)) return 0;
    try {
      auto stream = std::make_shared<Stream>();
      stream->id = frame->hd.stream_id;
      session(user_data)->streams_[stream->id] = std::move(stream);
    } catch (const std::bad_alloc&) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream
    }
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                       void* user_data) {
    const bool trailer = frame->hd.type == NGHTTP2_HEADERS &&
                         frame->headers.cat == NGHTTP2_HCAT_HEADERS;  // after the body
    if (!is_request_headers(frame) && !trailer) return 0;
    H2ServerSession* self = session(user_data);
    Stream* s = self->find(frame->hd.stream_id);
    if (!s) return 0;
    s->header_bytes += namelen + valuelen + 32;
    if (s->header_bytes > self->options_.max_header) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    try {
      if (trailer)
        s->request.trailers.add(std::string(view(name, namelen)),
                                std::string(view(value, valuelen)));
      else
        add_header(*s, view(name, namelen), view(value, valuelen));
    } catch (const std::exception&) {  // Beast refuses some values; so do we
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return 0;
  }

  // nghttp2 would drop a regular header with an invalid name (upper case, say) and go on;
  // RFC 9113 8.2.1 makes the request malformed: reset the stream instead.
  static int on_invalid_header(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t,
                               const uint8_t*, size_t, uint8_t, void*) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }

  static int on_frame_recv(nghttp2_session* ng, const nghttp2_frame* frame, void* user_data) {
    H2ServerSession* self = session(user_data);
    const int32_t id = frame->hd.stream_id;
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    Stream* s = self->find(id);
    if (!s || s->refused) return 0;
    if (is_request_headers(frame) && !finish_headers(*s, self->options_.max_body)) {
      self->refuse(*s, 413, "Payload Too Large");
      return 0;
    }
    // Nonzero from this callback would end the connection; a failure ends only the stream.
    if (end_stream && !self->on_request_complete(id))
      nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
    return 0;
  }

  static int on_data_chunk(nghttp2_session* ng, uint8_t, int32_t stream_id, const uint8_t* data,
                           size_t len, void* user_data) {
    H2ServerSession* self = session(user_data);
    Stream* s = self->find(stream_id);
    if (!s || s->refused) return 0;  // nghttp2 gives the window back by itself
    auto& body = s->request.body();
    if (body.size() + len > self->options_.max_body) {
      self->refuse(*s, 413, "Payload Too Large");  // as Envoy's buffer limit does
      return 0;
    }
    try {
      body.append(reinterpret_cast<const char*>(data), len);
    } catch (const std::bad_alloc&) {  // nonzero would end the connection
      nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_INTERNAL_ERROR);
    }
    return 0;
  }

  static int on_frame_send(nghttp2_session* ng, const nghttp2_frame* frame, void*) {
    const int32_t id = frame->hd.stream_id;
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return 0;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    // We answered before the request was over (413): that ends the client's side too
    // (RFC 9113 8.1). Only now, after the response: a RST_STREAM queued with it would go first.
    if (!nghttp2_session_get_stream_remote_close(ng, id))
      nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t, void* user_data) {
    session(user_data)->on_stream_closed(stream_id);
    return 0;
  }

  static ssize_t read_body(nghttp2_session* ng, int32_t stream_id, uint8_t* buf, size_t length,
                           uint32_t* flags, nghttp2_data_source*, void* user_data) {
    Stream* s = session(user_data)->find(stream_id);
    if (!s) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const auto& body = s->response.body();
    size_t n = std::min(length, body.size() - s->body_sent);
    std::memcpy(buf, body.data() + s->body_sent, n);
    s->body_sent += n;
    if (s->body_sent < body.size()) return static_cast<ssize_t>(n);
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    submit_trailers_at_eof(ng, stream_id, s->response.trailers, flags);
    return static_cast<ssize_t>(n);
  }
};

nghttp2_data_provider response_body_provider() {
  nghttp2_data_provider provider{};
  provider.read_callback = &Callbacks::read_body;
  return provider;
}

nghttp2_session* new_server_session(H2ServerSession* session) {
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) throw std::bad_alloc();
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_invalid_header_callback(callbacks,
                                                           &Callbacks::on_invalid_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Callbacks::on_frame_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Callbacks::on_stream_close);
  nghttp2_session* ng = nullptr;
  int rv = nghttp2_session_server_new(&ng, callbacks, session);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) throw std::bad_alloc();  // nghttp2 fails only on allocation
  return ng;
}

}  // namespace zmesh::l7::h2_server
