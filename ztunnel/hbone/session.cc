#include "hbone/session.h"

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

}  // namespace

Session::Session(std::shared_ptr<TlsSocket> socket, Role role, const SessionOptions& options)
    : socket_(std::move(socket)),
      tls_(socket_),
      role_(role),
      options_(options),
      ng_(new_ng_session(role, this)),
      input_(kInitialBuffer),
      writer_wake_(socket_->get_executor()),
      housekeeping_timer_(socket_->get_executor()) {
  last_read_ = idle_since_ = Clock::now();
  boost::system::error_code ignored;  // small frames (PING, HEADERS) must not wait for ACKs
  socket_->lowest_layer().set_option(tcp::no_delay(true), ignored);
}

Session::~Session() = default;

void Session::submit_settings() {
  std::vector<nghttp2_settings_entry> settings{
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, std::min(options_.stream_window, kMaxWindow)},
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE,
       std::clamp(options_.max_frame_size, kMinFrameSize, kMaxFrameSize)}};
  if (role_ == Role::kClient) settings.push_back({NGHTTP2_SETTINGS_ENABLE_PUSH, 0});
  nghttp2_submit_settings(ng(), NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  nghttp2_session_set_local_window_size(
      ng(), NGHTTP2_FLAG_NONE, 0,
      static_cast<int32_t>(std::min(options_.connection_window, kMaxWindow)));
}

asio::awaitable<void> Session::run(std::shared_ptr<Session> self) {
  Session* raw = self.get();  // the channel is a member: it never outlives the session
  if (auto taken = self->tls_.take_over([raw] { raw->kick(); }); !taken) {
    self->fail(taken.error().message);
    self->teardown();
    co_return;
  }
  self->submit_settings();
  auto executor = self->executor();
  asio::co_spawn(executor, write_loop(self), asio::detached);
  asio::co_spawn(executor, housekeeping(self), asio::detached);
  co_await self->read_loop();
  self->teardown();
}

asio::awaitable<void> Session::read_loop() {
  for (;;) {
    auto n = co_await tls_.read_some(input_.data(), input_.size());
    if (closed_) co_return;  // our own close
    if (!n) {
      fail(n.error().message);
      co_return;
    }
    if (*n == 0) {  // the peer closed: an error only if it left streams hanging
      fail(!draining_ && !goaway_received_ && !streams_.empty() ? "connection closed by peer" : "");
      co_return;
    }
    last_read_ = Clock::now();
    ssize_t rv = nghttp2_session_mem_recv(ng(), input_.data(), *n);
    if (rv < 0) {
      fail(std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(rv)));
      co_return;
    }
    if (*n == input_.size() && input_.size() < kTlsReadBuffer) input_.resize(input_.size() * 2);
    kick();  // acks, window updates, TLS output, or the end of the session
  }
}

bool Session::fill_output() {
  while (output_size() < kOutputBatch) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(ng(), &data);
    if (n < 0) {
      fail(std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(n)));
      return false;
    }
    if (n == 0) break;
    output_.insert(output_.end(), data, data + n);
  }
  auto encrypted = tls_.encrypt(output_.data(), output_.size());
  output_.clear();
  if (!encrypted) {
    fail(encrypted.error().message);
    return false;
  }
  return true;
}

asio::awaitable<void> Session::write_loop(std::shared_ptr<Session> self) {
  while (!self->closed_) {
    if (!self->fill_output()) co_return;
    if (self->tls_.pending_output() > 0) {
      auto sent = co_await self->tls_.flush();
      if (!sent) {
        if (!self->closed_) self->fail(sent.error().message);
        co_return;
      }
      continue;
    }
    if (!nghttp2_session_want_read(self->ng()) && !nghttp2_session_want_write(self->ng())) {
      // HTTP/2 is done (GOAWAY and no streams). Half-close so the peer sees the end after
      // our last frames, and give it a moment to close its side.
      boost::system::error_code ignored;
      self->socket_->lowest_layer().shutdown(tcp::socket::shutdown_send, ignored);
      self->draining_ = true;
      self->linger_until_ = Clock::now() + self->options_.keepalive_timeout;
      self->rearm_housekeeping();
      co_return;
    }
    co_await self->writer_wake_.wait();
  }
}

Result<void> Session::send_data_frame(StreamImpl& stream, const uint8_t* frame_header,
                                      size_t length) {
  output_.insert(output_.end(), frame_header, frame_header + 9);
  if (length < kDirectEncryptMin) {  // small: coalesce with the frames around it
    stream.take_unsent(output_, length);
    return ok();
  }
  // Big: the header closes the record of small frames, the payload is encrypted in place.
  auto encrypted = tls_.encrypt(output_.data(), output_.size());
  output_.clear();
  if (!encrypted) return encrypted;
  return stream.encrypt_unsent(tls_, length);
}

asio::awaitable<void> Session::housekeeping(std::shared_ptr<Session> self) {
  Session& s = *self;
  const auto interval = s.options_.keepalive_interval;
  const auto timeout = s.options_.keepalive_timeout;
  const auto idle = s.options_.idle_timeout;
  while (!s.closed_) {
    const auto now = Clock::now();
    auto next = Clock::time_point::max();
    if (s.linger_until_ != Clock::time_point::max()) {
      if (now >= s.linger_until_) {
        s.fail("");
        co_return;
      }
      next = s.linger_until_;
    } else {
      if (interval.count() > 0 && s.ping_outstanding_) {
        if (now >= s.ping_sent_ + timeout) {
          s.fail("keepalive: no PING ack within " + std::to_string(timeout.count()) + "ms");
          co_return;
        }
        next = std::min(next, s.ping_sent_ + timeout);
      } else if (interval.count() > 0) {
        if (now >= s.last_read_ + interval) {
          nghttp2_submit_ping(s.ng(), NGHTTP2_FLAG_NONE, nullptr);
          s.ping_outstanding_ = true;
          s.ping_sent_ = now;
          s.kick();
          next = std::min(next, now + timeout);
        } else {
          next = std::min(next, s.last_read_ + interval);
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

void Session::fail(const std::string& why) {
  if (error_.empty()) error_ = why;
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_->lowest_layer().close(ignored);  // aborts the reader's and writer's I/O
  writer_wake_.notify();
  housekeeping_timer_.cancel();
}

void Session::teardown() {
  fail("");
  const std::string reason = error_.empty() ? "connection closed" : error_;
  auto streams = std::move(streams_);
  streams_.clear();
  requests_.clear();
  for (auto& [id, stream] : streams) stream->fail(reason);
}

void Session::shutdown() {
  if (draining_ || closed_) return;
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
  if (closed_ || bytes == 0 || stream_id <= 0) return;
  nghttp2_session_consume(ng(), stream_id, bytes);
  if (nghttp2_session_want_write(ng())) kick();  // a WINDOW_UPDATE may be due
}

void Session::on_stream_closed(int32_t stream_id, uint32_t error_code) {
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

void Session::on_frame_sent(const nghttp2_frame* frame) {
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (!end_stream) return;
  const int32_t id = frame->hd.stream_id;
  if (frame->hd.type == NGHTTP2_HEADERS && role_ == Role::kServer &&
      !nghttp2_session_get_stream_remote_close(ng(), id)) {
    // A refusal (400, 503, ...) ends the client's side too (RFC 9113 8.1). Sent only now:
    // a RST_STREAM queued with the response would go out first and drop it.
    nghttp2_submit_rst_stream(ng(), NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
  } else if (frame->hd.type == NGHTTP2_DATA) {
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
  nghttp2_data_provider provider = stream_data_provider();
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
