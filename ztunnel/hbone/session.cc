#include "hbone/session.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "hbone/stream_impl.h"
#include "hbone/tuning.h"

namespace zmesh::hbone::detail {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr uint32_t kMaxWindow = (1u << 31) - 1;
constexpr uint32_t kMinFrameSize = 1u << 14, kMaxFrameSize = (1u << 24) - 1;

h2::EngineOptions engine_options(Session::Role role, const SessionOptions& o) {
  h2::EngineOptions e;
  e.role = role == Session::Role::kServer ? h2::EngineOptions::Role::kServer
                                          : h2::EngineOptions::Role::kClient;
  e.settings = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, o.max_concurrent_streams},
                {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, std::min(o.stream_window, kMaxWindow)},
                {NGHTTP2_SETTINGS_MAX_FRAME_SIZE,
                 std::clamp(o.max_frame_size, kMinFrameSize, kMaxFrameSize)}};
  if (role == Session::Role::kClient) e.settings.push_back({NGHTTP2_SETTINGS_ENABLE_PUSH, 0});
  e.connection_window = std::min(o.connection_window, kMaxWindow);
  // Window updates follow the readers (real back-pressure), not the arrival of bytes.
  e.auto_window_update = false;
  // parse_connect_headers is the judge of a request (answering 400), not nghttp2's checks
  // (which would reset malformed CONNECTs without a response).
  e.http_messaging = false;
  e.direct_data = true;  // write_data: DATA payloads straight from the send queues
  e.max_data_frame = kMaxDataFrame;
  e.read_buffer = kInitialBuffer;
  e.max_read_buffer = kTlsReadBuffer;
  e.write_batch = kOutputBatch;
  e.linger = o.keepalive_timeout;  // after our last frames, for the peer to close
  return e;
}

}  // namespace

Session::Session(std::shared_ptr<TlsSocket> socket, Role role, const SessionOptions& options)
    : socket_(std::move(socket)),
      tls_(socket_),
      role_(role),
      options_(options),
      engine_(socket_->get_executor(), *this, engine_options(role, options)),
      housekeeping_timer_(socket_->get_executor()) {
  idle_since_ = Clock::now();
  engine_.attach(tls_);
  boost::system::error_code ignored;  // small frames (PING, HEADERS) must not wait for ACKs
  socket_->lowest_layer().set_option(tcp::no_delay(true), ignored);
}

Session::~Session() = default;

asio::awaitable<void> Session::run(std::shared_ptr<Session> self) {
  asio::co_spawn(self->executor(), housekeeping(self), asio::detached);
  co_await self->engine_.run(self);
  self->teardown();
}

asio::awaitable<void> Session::housekeeping(std::shared_ptr<Session> self) {
  Session& s = *self;
  const auto interval = s.options_.keepalive_interval;
  const auto timeout = s.options_.keepalive_timeout;
  const auto idle = s.options_.idle_timeout;
  while (!s.closed()) {
    const auto now = Clock::now();
    auto next = Clock::time_point::max();
    if (!s.engine_.finished()) {  // else the engine lingers, then closes
      const auto last_read = s.engine_.last_read();
      if (interval.count() > 0 && s.ping_outstanding_) {
        if (now >= s.ping_sent_ + timeout) {
          s.fail("keepalive: no PING ack within " + std::to_string(timeout.count()) + "ms");
          co_return;
        }
        next = std::min(next, s.ping_sent_ + timeout);
      } else if (interval.count() > 0) {
        if (now >= last_read + interval) {
          nghttp2_submit_ping(s.ng(), NGHTTP2_FLAG_NONE, nullptr);
          s.ping_outstanding_ = true;
          s.ping_sent_ = now;
          s.kick();
          next = std::min(next, now + timeout);
        } else {
          next = std::min(next, last_read + interval);
        }
      }
      if (idle.count() > 0 && s.streams_.empty() && !s.draining_) {
        if (now >= s.idle_since_ + idle)
          s.shutdown();
        else
          next = std::min(next, s.idle_since_ + idle);
      }
    }
    boost::system::error_code ignored;
    s.housekeeping_timer_.expires_at(next);
    co_await s.housekeeping_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

void Session::teardown() {
  fail("");
  const std::string reason = error().empty() ? "connection closed" : error();
  auto streams = std::move(streams_);
  streams_.clear();
  requests_.clear();
  for (auto& [id, stream] : streams) stream->fail(reason);
}

void Session::shutdown() {
  if (draining_ || closed()) return;
  draining_ = true;
  nghttp2_submit_goaway(ng(), NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(ng()),
                        NGHTTP2_NO_ERROR, nullptr, 0);
  kick();
}

size_t Session::stream_limit() const {
  uint32_t peer =
      nghttp2_session_get_remote_settings(ng(), NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  return std::min(options_.max_concurrent_streams, peer);
}

void Session::consume(int32_t stream_id, size_t bytes) {
  if (closed() || bytes == 0 || stream_id <= 0) return;
  nghttp2_session_consume(ng(), stream_id, bytes);
  if (nghttp2_session_want_write(ng())) kick();  // a WINDOW_UPDATE may be due
}

void Session::on_stream_close(int32_t stream_id, uint32_t error_code) {
  requests_.erase(stream_id);
  auto it = streams_.find(stream_id);
  if (it != streams_.end()) {
    auto stream = std::move(it->second);
    streams_.erase(it);
    nghttp2_session_set_stream_user_data(ng(), stream_id, nullptr);
    stream->on_closed(error_code);
    if (streams_.empty()) {
      idle_since_ = Clock::now();
      rearm_housekeeping();
    }
  }
  kick();  // when draining, this may have been the last stream
}

void Session::on_frame_sent(const nghttp2_frame& frame) {
  const bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (!end_stream) return;
  const int32_t id = frame.hd.stream_id;
  if (frame.hd.type == NGHTTP2_HEADERS && role_ == Role::kServer &&
      !nghttp2_session_get_stream_remote_close(ng(), id)) {
    // A refusal (400, 503, ...) ends the client's side too (RFC 9113 8.1). Sent only now:
    // a RST_STREAM queued with the response would go out first and drop it.
    nghttp2_submit_rst_stream(ng(), NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
  } else if (frame.hd.type == NGHTTP2_DATA) {
    auto it = streams_.find(id);
    if (it != streams_.end()) it->second->on_end_stream_sent();
  }
}

void Session::on_request_headers(int32_t stream_id, bool end_stream) {
  auto node = requests_.extract(stream_id);
  auto request = parse_connect_headers(node.empty() ? Headers{} : node.mapped());
  if (!request || !on_request_) {
    std::string status = request ? "503" : "400";
    nghttp2_nv nv = make_nv(":status", status);
    nghttp2_submit_response(ng(), stream_id, &nv, 1, nullptr);
    return;
  }
  auto stream = std::make_shared<StreamImpl>(*this, std::move(*request), true);
  stream->attach(stream_id, false);
  nghttp2_session_set_stream_user_data(ng(), stream_id, stream.get());
  streams_[stream_id] = stream;
  if (end_stream) stream->on_end_of_data();
  try {
    on_request_(std::make_shared<StreamHandle>(shared_from_this(), std::move(stream)));
  } catch (...) {  // never unwind through nghttp2; a dropped handle cancels the stream
  }
}

asio::awaitable<Result<std::shared_ptr<Stream>>> Session::open_stream(ConnectRequest request,
                                                                      bool* refused) {
  if (!usable()) {
    if (refused) *refused = true;
    co_return make_error("HBONE connection is closing");
  }
  if (request.traceparent.empty()) request.traceparent = make_traceparent();
  const Headers headers = build_connect_headers(request);
  std::vector<nghttp2_nv> nvs;
  nvs.reserve(headers.size());
  for (const auto& h : headers) nvs.push_back(make_nv(h.name, h.value));

  auto stream = std::make_shared<StreamImpl>(*this, std::move(request), false);
  nghttp2_data_provider provider = data_provider();
  int32_t id =
      nghttp2_submit_request(ng(), nullptr, nvs.data(), nvs.size(), &provider, stream.get());
  if (id < 0) co_return make_error(std::string("HTTP/2 CONNECT: ") + nghttp2_strerror(id));
  stream->attach(id, true);
  streams_[id] = stream;
  kick();

  // The handle owns the stream from here: an early return cancels it.
  auto handle = std::make_shared<StreamHandle>(shared_from_this(), stream);
  auto status = co_await stream->response_status();
  if (refused) *refused = stream->refused_by_peer();
  if (!status) co_return make_error("CONNECT failed: " + status.error().message);
  if (*status != 200) co_return make_error("CONNECT answered " + std::to_string(*status));
  co_return std::shared_ptr<Stream>(std::move(handle));
}

}  // namespace zmesh::hbone::detail
