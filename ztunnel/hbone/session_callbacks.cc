// Session's hooks on the HTTP/2 engine (nghttp2's events), forwarding to Session and
// StreamImpl. Streams are found through nghttp2's stream user data, which a StreamImpl clears
// when it goes away, so a null stream means "nobody is listening" and its data is dropped
// (window given back).
#include <charconv>
#include <string_view>

#include "hbone/session.h"
#include "hbone/stream_impl.h"

namespace zmesh::hbone::detail {
namespace {

constexpr size_t kMaxRequestHeaders = 64;
constexpr size_t kFrameHeader = 9;

}  // namespace

StreamImpl* Session::find_stream(int32_t stream_id) const {
  return static_cast<StreamImpl*>(nghttp2_session_get_stream_user_data(ng(), stream_id));
}

int Session::on_header(const nghttp2_frame& frame, std::string_view key, std::string_view val) {
  if (frame.hd.type != NGHTTP2_HEADERS) return 0;
  const int32_t id = frame.hd.stream_id;
  if (role_ == Role::kServer) {
    if (frame.headers.cat != NGHTTP2_HCAT_REQUEST) return 0;  // trailers: ignored
    auto& headers = requests_[id];
    if (headers.size() >= kMaxRequestHeaders) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    headers.push_back({std::string(key), std::string(val)});
    return 0;
  }
  if (key == ":status") {
    if (auto* stream = find_stream(id)) {
      int status = 0;
      auto [end, ec] = std::from_chars(val.data(), val.data() + val.size(), status);
      bool valid =
          ec == std::errc() && end == val.data() + val.size() && status >= 100 && status <= 999;
      stream->on_status_header(valid ? status : -1);
    }
  }
  return 0;
}

int Session::on_frame_recv(const nghttp2_frame& frame) {
  const int32_t id = frame.hd.stream_id;
  const bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame.hd.type) {
    case NGHTTP2_HEADERS:
      if (role_ == Role::kServer && frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
        on_request_headers(id, end_stream);
        return 0;
      }
      if (auto* stream = find_stream(id)) {
        if (role_ == Role::kClient) stream->on_response_headers();
        if (end_stream) stream->on_end_of_data();
      }
      return 0;
    case NGHTTP2_DATA:
      if (end_stream)
        if (auto* stream = find_stream(id)) stream->on_end_of_data();
      return 0;
    case NGHTTP2_PING:
      if (frame.hd.flags & NGHTTP2_FLAG_ACK) ping_outstanding_ = false;
      return 0;
    default:
      return 0;  // GOAWAY: the engine keeps goaway_received()
  }
}

int Session::on_data(int32_t stream_id, const uint8_t* data, size_t len) {
  if (auto* stream = find_stream(stream_id))
    stream->on_data(data, len);
  else
    consume(stream_id, len);
  return 0;
}

ssize_t Session::read_data(int32_t stream_id, uint8_t*, size_t length, uint32_t* flags) {
  auto* stream = find_stream(stream_id);
  if (!stream) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // abandoned: RST it
  return stream->provide(length, flags);
}

int Session::write_data(const nghttp2_frame& frame, const uint8_t* frame_header, size_t length,
                        h2::Transport& out) {
  auto* stream = find_stream(frame.hd.stream_id);
  if (!stream) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  // A full batch: nghttp2 offers this frame again after the write (keeps writes bounded).
  if (engine_.output_full()) return NGHTTP2_ERR_WOULDBLOCK;
  if (!out.put(frame_header, kFrameHeader)) return NGHTTP2_ERR_CALLBACK_FAILURE;
  return stream->send_unsent(out, length) ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
}

// The peer closed the connection: an error only if it left streams hanging.
void Session::on_eof() {
  const bool ending = draining_ || engine_.finished() || engine_.goaway_received();
  fail(!ending && !streams_.empty() ? "connection closed by peer" : "");
}

nghttp2_nv make_nv(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

}  // namespace zmesh::hbone::detail
