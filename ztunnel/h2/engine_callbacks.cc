// nghttp2's callbacks, forwarding to the engine's Hooks. The engine itself looks only at
// GOAWAY (goaway_received) and at the output's size (a DATA frame written by a hook waits
// for the next batch).
#include "h2/engine_callbacks.h"

#include <algorithm>
#include <new>
#include <string_view>

namespace zmesh::h2 {

struct Callbacks {
  static Engine& engine(void* user_data) { return *static_cast<Engine*>(user_data); }
  static std::string_view view(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    return engine(user_data).hooks_.on_begin_headers(*frame);
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                       void* user_data) {
    return engine(user_data).hooks_.on_header(*frame, view(name, namelen), view(value, valuelen));
  }

  static int on_invalid_header(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t,
                               const uint8_t*, size_t, uint8_t, void*) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    Engine& e = engine(user_data);
    if (frame->hd.type == NGHTTP2_GOAWAY) e.goaway_received_ = true;
    return e.hooks_.on_frame_recv(*frame);
  }

  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                           size_t len, void* user_data) {
    return engine(user_data).hooks_.on_data(stream_id, data, len);
  }

  static int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                             void* user_data) {
    engine(user_data).hooks_.on_stream_close(stream_id, error_code);
    return 0;
  }

  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    engine(user_data).hooks_.on_frame_sent(*frame);
    return 0;
  }

  static ssize_t read_length(nghttp2_session*, uint8_t, int32_t, int32_t, int32_t,
                             uint32_t remote_max_frame_size, void* user_data) {
    // nghttp2 clamps this to the flow-control windows.
    return static_cast<ssize_t>(
        std::min<size_t>(remote_max_frame_size, engine(user_data).options_.max_data_frame));
  }

  static ssize_t read_data(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                           uint32_t* flags, nghttp2_data_source*, void* user_data) {
    return engine(user_data).hooks_.read_data(stream_id, buf, length, flags);
  }

  static int send_data(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                       size_t length, nghttp2_data_source*, void* user_data) {
    Engine& e = engine(user_data);
    return e.hooks_.write_data(*frame, framehd, length, *e.transport_);
  }
};

namespace detail {

nghttp2_session* new_ng_session(Engine& engine, const EngineOptions& options) {
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) throw std::bad_alloc();
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Callbacks::on_header);
  if (options.reject_invalid_headers)
    nghttp2_session_callbacks_set_on_invalid_header_callback(callbacks,
                                                             &Callbacks::on_invalid_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Callbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Callbacks::on_frame_send);
  if (options.max_data_frame > 0)
    nghttp2_session_callbacks_set_data_source_read_length_callback(callbacks,
                                                                   &Callbacks::read_length);
  if (options.direct_data)
    nghttp2_session_callbacks_set_send_data_callback(callbacks, &Callbacks::send_data);

  nghttp2_option* option = nullptr;
  if (nghttp2_option_new(&option) != 0) {
    nghttp2_session_callbacks_del(callbacks);
    throw std::bad_alloc();
  }
  if (!options.auto_window_update) nghttp2_option_set_no_auto_window_update(option, 1);
  if (!options.http_messaging) nghttp2_option_set_no_http_messaging(option, 1);

  nghttp2_session* ng = nullptr;
  int rv = options.role == EngineOptions::Role::kServer
               ? nghttp2_session_server_new2(&ng, callbacks, &engine, option)
               : nghttp2_session_client_new2(&ng, callbacks, &engine, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) throw std::bad_alloc();  // nghttp2 fails only on allocation
  return ng;
}

nghttp2_data_provider hooks_data_provider() {
  nghttp2_data_provider provider{};
  provider.read_callback = &Callbacks::read_data;
  return provider;
}

}  // namespace detail
}  // namespace zmesh::h2
