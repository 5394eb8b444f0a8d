// nghttp2's callbacks, forwarding to Session and StreamImpl. Streams are found through
// nghttp2's stream user data, which a StreamImpl clears when it goes away, so a null
// stream means "nobody is listening" and its data is dropped (window given back).
#include <algorithm>
#include <charconv>
#include <string_view>

#include "hbone/session.h"
#include "hbone/stream_impl.h"
#include "hbone/tuning.h"

namespace zmesh::hbone::detail {
namespace {

constexpr size_t kMaxRequestHeaders = 64;

StreamImpl* find_stream(nghttp2_session* ng, int32_t stream_id) {
  return static_cast<StreamImpl*>(nghttp2_session_get_stream_user_data(ng, stream_id));
}

}  // namespace

struct Callbacks {
  static Session* session(void* user_data) { return static_cast<Session*>(user_data); }

  static int on_header(nghttp2_session* ng, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                       void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Session* self = session(user_data);
    const int32_t id = frame->hd.stream_id;
    std::string_view key(reinterpret_cast<const char*>(name), namelen);
    std::string_view val(reinterpret_cast<const char*>(value), valuelen);
    if (self->role_ == Session::Role::kServer) {
      if (frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;  // trailers: ignored
      auto& headers = self->requests_[id];
      if (headers.size() >= kMaxRequestHeaders) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      headers.push_back({std::string(key), std::string(val)});
      return 0;
    }
    if (key == ":status") {
      if (auto* stream = find_stream(ng, id)) {
        int status = 0;
        auto [end, ec] = std::from_chars(val.data(), val.data() + val.size(), status);
        bool valid =
            ec == std::errc() && end == val.data() + val.size() && status >= 100 && status <= 999;
        stream->on_status_header(valid ? status : -1);
      }
    }
    return 0;
  }

  static int on_frame_recv(nghttp2_session* ng, const nghttp2_frame* frame, void* user_data) {
    Session* self = session(user_data);
    const int32_t id = frame->hd.stream_id;
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS:
        if (self->role_ == Session::Role::kServer && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
          self->on_request_headers(id, end_stream);
          return 0;
        }
        if (auto* stream = find_stream(ng, id)) {
          if (self->role_ == Session::Role::kClient) stream->on_response_headers();
          if (end_stream) stream->on_end_of_data();
        }
        return 0;
      case NGHTTP2_DATA:
        if (end_stream)
          if (auto* stream = find_stream(ng, id)) stream->on_end_of_data();
        return 0;
      case NGHTTP2_PING:
        if (frame->hd.flags & NGHTTP2_FLAG_ACK) self->ping_outstanding_ = false;
        return 0;
      case NGHTTP2_GOAWAY:
        self->goaway_received_ = true;
        return 0;
      default:
        return 0;
    }
  }

  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    session(user_data)->on_frame_sent(frame);
    return 0;
  }

  static int on_data_chunk(nghttp2_session* ng, uint8_t, int32_t stream_id, const uint8_t* data,
                           size_t len, void* user_data) {
    if (auto* stream = find_stream(ng, stream_id))
      stream->on_data(data, len);
    else
      session(user_data)->consume(stream_id, len);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                             void* user_data) {
    session(user_data)->on_stream_closed(stream_id, error_code);
    return 0;
  }

  static ssize_t read_length(nghttp2_session*, uint8_t, int32_t, int32_t, int32_t,
                             uint32_t remote_max_frame_size, void*) {
    // nghttp2 clamps this to the flow-control windows.
    return static_cast<ssize_t>(std::min<size_t>(remote_max_frame_size, kMaxDataFrame));
  }

  static ssize_t read_data(nghttp2_session* ng, int32_t stream_id, uint8_t*, size_t length,
                           uint32_t* flags, nghttp2_data_source*, void*) {
    auto* stream = find_stream(ng, stream_id);
    if (!stream) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // abandoned: RST it
    return stream->provide(length, flags);
  }

  static int send_data(nghttp2_session* ng, nghttp2_frame* frame, const uint8_t* framehd,
                       size_t length, nghttp2_data_source*, void* user_data) {
    auto* stream = find_stream(ng, frame->hd.stream_id);
    if (!stream) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    Session* self = session(user_data);
    // A full batch: nghttp2 offers this frame again after the write (keeps writes bounded).
    if (self->output_size() >= kOutputBatch) return NGHTTP2_ERR_WOULDBLOCK;
    return self->send_data_frame(*stream, framehd, length) ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
  }
};

nghttp2_data_provider stream_data_provider() {
  nghttp2_data_provider provider{};
  provider.read_callback = &Callbacks::read_data;
  return provider;
}

nghttp2_nv make_nv(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

NgSessionPtr new_ng_session(Session::Role role, Session* session) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Callbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Callbacks::on_frame_send);
  nghttp2_session_callbacks_set_data_source_read_length_callback(callbacks,
                                                                 &Callbacks::read_length);
  nghttp2_session_callbacks_set_send_data_callback(callbacks, &Callbacks::send_data);

  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  // Window updates follow the readers (real back-pressure), not the arrival of bytes.
  nghttp2_option_set_no_auto_window_update(option, 1);
  // parse_connect_headers is the judge of a request (answering 400), not nghttp2's checks
  // (which would reset malformed CONNECTs without a response).
  nghttp2_option_set_no_http_messaging(option, 1);

  nghttp2_session* ng = nullptr;
  int rv = role == Session::Role::kServer
               ? nghttp2_session_server_new2(&ng, callbacks, session, option)
               : nghttp2_session_client_new2(&ng, callbacks, session, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) throw std::bad_alloc();  // nghttp2 fails only on allocation
  return NgSessionPtr(ng);
}

}  // namespace zmesh::hbone::detail
