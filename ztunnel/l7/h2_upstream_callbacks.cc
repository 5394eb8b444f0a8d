// nghttp2's callbacks for H2UpstreamConnection: they assemble each stream's response (status,
// headers, body, trailers) and feed the request body out. nghttp2 checks the responses itself
// (:status present, no connection-specific headers, Content-Length against the DATA): a
// malformed one resets its stream, which then ends as kReset. Never throw from here: nghttp2
// is C.
#include <charconv>
#include <cstring>
#include <new>
#include <string_view>

#include "l7/h2_trailers.h"
#include "l7/h2_upstream_stream.h"

namespace zmesh::l7::h2_upstream {
namespace {

std::string_view view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

boost::beast::string_view beast_view(std::string_view s) {
  return {s.data(), s.size()};
}

bool is_headers(const nghttp2_frame* frame) {
  return frame->hd.type == NGHTTP2_HEADERS;
}

}  // namespace

struct Callbacks {
  static H2UpstreamConnection* connection(void* user_data) {
    return static_cast<H2UpstreamConnection*>(user_data);
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                       void* user_data) {
    if (!is_headers(frame)) return 0;
    H2UpstreamConnection* c = connection(user_data);
    Stream* s = c->find(frame->hd.stream_id);
    if (!s || s->done || s->too_large) return 0;
    s->x.any_response = true;
    s->header_bytes += namelen + valuelen + 32;
    if (s->header_bytes > c->options_.max_header) {
      s->too_large = true;
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream
    }
    const auto n = view(name, namelen);
    const auto v = view(value, valuelen);
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

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    H2UpstreamConnection* c = connection(user_data);
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    switch (frame->hd.type) {
      case NGHTTP2_SETTINGS:
        if ((frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) c->on_settings();
        return 0;
      case NGHTTP2_PING:
        if ((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) c->on_ping_ack();
        return 0;
      case NGHTTP2_GOAWAY:
        c->on_goaway();  // nghttp2 has closed the streams past last_stream_id (REFUSED_STREAM)
        return 0;
      case NGHTTP2_HEADERS:
        if (Stream* s = c->find(frame->hd.stream_id)) c->on_headers_done(*s, end_stream);
        return 0;
      case NGHTTP2_DATA:
        if (Stream* s = c->find(frame->hd.stream_id); s && end_stream && !s->too_large)
          c->finish(*s, H2Exchange::End::kResponse);
        return 0;
      default:
        return 0;
    }
  }

  static int on_data_chunk(nghttp2_session* ng, uint8_t, int32_t stream_id, const uint8_t* data,
                           size_t len, void* user_data) {
    H2UpstreamConnection* c = connection(user_data);
    Stream* s = c->find(stream_id);
    if (!s || s->done || s->too_large) return 0;  // nghttp2 gives the window back by itself
    s->x.any_response = true;
    auto& body = s->x.response.body();
    if (body.size() + len > c->options_.max_body) {
      s->too_large = true;
      nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
      return 0;
    }
    try {
      body.append(reinterpret_cast<const char*>(data), len);
    } catch (const std::bad_alloc&) {
      s->too_large = true;
      nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_INTERNAL_ERROR);
    }
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                             void* user_data) {
    connection(user_data)->on_stream_closed(stream_id, error_code);
    return 0;
  }

  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (!is_headers(frame)) return 0;
    if (Stream* s = connection(user_data)->find(frame->hd.stream_id)) s->x.request_started = true;
    return 0;
  }

  static ssize_t read_body(nghttp2_session* ng, int32_t stream_id, uint8_t* buf, size_t length,
                           uint32_t* data_flags, nghttp2_data_source*, void* user_data) {
    Stream* s = connection(user_data)->find(stream_id);
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
      submit_trailers_at_eof(ng, stream_id, s->request->trailers, data_flags);
    }
    return static_cast<ssize_t>(n);
  }
};

std::unique_ptr<nghttp2_session, NgSessionDeleter> new_client_session(H2UpstreamConnection* c) {
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) throw std::bad_alloc();
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Callbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Callbacks::on_frame_send);
  nghttp2_session* ng = nullptr;
  int rv = nghttp2_session_client_new(&ng, callbacks, c);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) throw std::bad_alloc();  // nghttp2 fails only on allocation
  return std::unique_ptr<nghttp2_session, NgSessionDeleter>(ng);
}

nghttp2_data_provider request_body_provider() {
  nghttp2_data_provider provider{};
  provider.read_callback = &Callbacks::read_body;
  return provider;
}

}  // namespace zmesh::l7::h2_upstream
