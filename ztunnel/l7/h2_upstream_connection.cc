#include "l7/h2_upstream_connection.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cctype>
#include <string_view>
#include <utility>

#include "l7/h2_channel_transport.h"
#include "l7/h2_upstream_stream.h"

namespace zmesh::l7 {
namespace asio = boost::asio;
using h2_upstream::Stream;
using End = H2Exchange::End;

namespace {

constexpr size_t kReadBuffer = 64 << 10;
constexpr size_t kWriteBatch = 64 << 10;  // frames gathered into one write

std::string lower(boost::beast::string_view s) {
  std::string out(s.data(), s.size());
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Connection-specific in HTTP/1.1, malformed in HTTP/2 (RFC 9113 8.2.2); Host becomes
// :authority. TE may stay with "trailers" only (gRPC sends it).
bool dropped(const std::string& name, boost::beast::string_view value) {
  static constexpr std::string_view kDropped[] = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host"};
  if (name == "te") return lower(value) != "trailers";
  return std::find(std::begin(kDropped), std::end(kDropped), name) != std::end(kDropped);
}

// The pseudo-headers, then the regular ones lowercased. Content-Length, when there is one,
// follows the body actually sent.
std::vector<std::pair<std::string, std::string>> request_headers(const Request& r) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back(":method", std::string(r.method_string()));
  out.emplace_back(":scheme", "http");
  if (auto host = r[http::field::host]; !host.empty()) out.emplace_back(":authority", host);
  out.emplace_back(":path", r.target().empty() ? std::string("/") : std::string(r.target()));
  for (const auto& f : r) {
    std::string name = lower(f.name_string());
    if (dropped(name, f.value())) continue;
    if (name == "content-length")
      out.emplace_back(std::move(name), std::to_string(r.body().size()));
    else
      out.emplace_back(std::move(name), std::string(f.value()));
  }
  return out;
}

nghttp2_nv nv(const std::pair<std::string, std::string>& h) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(h.first.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(h.second.data())), h.first.size(),
          h.second.size(), NGHTTP2_NV_FLAG_NONE};
}

h2::EngineOptions engine_options(const H2UpstreamOptions& o) {
  h2::EngineOptions e;
  e.role = h2::EngineOptions::Role::kClient;
  e.settings = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, o.stream_window},
                {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(o.max_header)}};
  e.connection_window = o.connection_window;
  e.read_buffer = e.max_read_buffer = kReadBuffer;
  e.write_batch = kWriteBatch;
  return e;  // no linger: the connection closes once HTTP/2 is over (on_finished)
}

}  // namespace

H2UpstreamConnection::H2UpstreamConnection(const asio::any_io_executor& executor,
                                           const H2UpstreamOptions& options)
    : executor_(executor),
      options_(options),
      engine_(executor, *this, engine_options(options_)),
      idle_timer_(executor),
      duration_timer_(executor),
      ping_timer_(executor) {}

H2UpstreamConnection::~H2UpstreamConnection() = default;

void H2UpstreamConnection::start(std::unique_ptr<transport::UpstreamChannel> channel) {
  if (closed()) return;
  transport_ = std::make_unique<H2ChannelTransport>(std::move(channel));
  engine_.attach(*transport_);
  arm_duration_timer();
  arm_ping_timer();
  asio::co_spawn(executor_, engine_.run(shared_from_this()), asio::detached);
}

void H2UpstreamConnection::fail(const std::string& why) {
  engine_.close(why.empty() ? "upstream connection closed" : why);
}

void H2UpstreamConnection::on_closed() {
  idle_timer_.cancel();
  duration_timer_.cancel();
  ping_timer_.cancel();
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, stream] : streams) {
    if (!ready_) {
      finish(*stream, End::kConnectFailure, error());
    } else {
      stream->x.connection_lost = true;
      finish(*stream, End::kReset, error());
    }
  }
  slot_.reset();
  breaker_owner_.reset();
  changed();
}

// The server closed the connection.
void H2UpstreamConnection::on_eof() {
  fail("upstream closed the connection");
}

// GOAWAY either way and no stream left, or a protocol error nghttp2 has answered.
void H2UpstreamConnection::on_finished() {
  fail(goaway_ ? "upstream sent GOAWAY" : draining_ ? "" : "HTTP/2 protocol error");
}

void H2UpstreamConnection::shutdown() {
  if (closed() || draining_) return;
  draining_ = true;
  if (!transport_) {
    fail("upstream connection closed");
    return;
  }
  nghttp2_session_terminate_session(engine_.ng(), NGHTTP2_NO_ERROR);
  engine_.kick();  // the engine closes once the GOAWAY is out and no stream is left
  changed();
}

asio::awaitable<bool> H2UpstreamConnection::wait_ready(std::optional<Clock::time_point> deadline) {
  auto self = shared_from_this();  // the signal lives in this object
  while (!ready_ && !closed())
    if (!co_await change_.wait(deadline)) break;
  co_return ready_ && !closed();
}

asio::awaitable<bool> H2UpstreamConnection::wait_change(std::optional<Clock::time_point> deadline) {
  auto self = shared_from_this();
  co_return co_await change_.wait(deadline);
}

bool H2UpstreamConnection::accepting() const {
  return !closed() && !goaway_ && !draining_ &&
         (options_.max_requests == 0 || leases_ < options_.max_requests);
}

size_t H2UpstreamConnection::capacity() const {
  size_t server = ready_ ? nghttp2_session_get_remote_settings(
                               engine_.ng(), NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
                         : options_.assumed_streams;
  if (options_.max_streams > 0) return std::min<size_t>(server, options_.max_streams);
  return server;
}

void H2UpstreamConnection::lease() {
  ++leased_;
  ++leases_;
  idle_timer_.cancel();
}

void H2UpstreamConnection::unlease() {
  --leased_;
  changed();  // room for a request waiting in the pool
  if (leased_ > 0 || closed()) return;
  if (!accepting())
    shutdown();  // maxRequestsPerConnection reached (or the server said GOAWAY)
  else
    arm_idle_timer();
}

void H2UpstreamConnection::hold_slot(std::shared_ptr<const void> owner,
                                     upstream::BreakerSlot slot) {
  breaker_owner_ = std::move(owner);
  slot_ = std::move(slot);
}

void H2UpstreamConnection::arm_idle_timer() {
  if (!options_.idle_timeout) return;
  idle_timer_.expires_after(*options_.idle_timeout);
  idle_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->leased_ > 0) return;
    self->shutdown();
  });
}

// Past maxConnectionDuration: GOAWAY, the streams in flight finish, no new ones (Envoy's
// drain), and the pool opens a fresh connection for the next request.
void H2UpstreamConnection::arm_duration_timer() {
  if (!options_.max_duration) return;
  duration_timer_.expires_after(*options_.max_duration);
  duration_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->shutdown();
  });
}

// One timer for both states: waiting to send the next PING, or waiting for its ACK.
void H2UpstreamConnection::arm_ping_timer() {
  if (!options_.ping_interval || closed()) return;
  ping_timer_.expires_after(ping_outstanding_ ? options_.ping_timeout : *options_.ping_interval);
  ping_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->closed()) return;
    if (self->ping_outstanding_) {
      self->fail("HTTP/2 keepalive: no PING ACK in time");
      return;
    }
    nghttp2_submit_ping(self->engine_.ng(), NGHTTP2_FLAG_NONE, nullptr);
    self->ping_outstanding_ = true;
    self->engine_.kick();
    self->arm_ping_timer();
  });
}

void H2UpstreamConnection::on_ping_ack() {
  if (!ping_outstanding_) return;
  ping_outstanding_ = false;
  arm_ping_timer();  // cancels the ACK deadline: the next PING after the interval
}

asio::awaitable<H2Exchange> H2UpstreamConnection::exchange(
    const Request& request, bool head, std::optional<Clock::time_point> deadline) {
  auto self = shared_from_this();
  H2Exchange out;
  if (!co_await wait_ready(deadline)) {
    if (!closed()) {
      out.end = End::kTimeout;
      out.error = "upstream request timeout";
    } else {
      out.end = ready_ ? End::kReset : End::kConnectFailure;
      out.connection_lost = true;
      out.error = error();
    }
    co_return out;
  }
  if (goaway_ || draining_) {
    out.end = End::kRefused;
    out.error = "upstream connection is closing";
    co_return out;
  }
  const auto headers = request_headers(request);
  std::vector<nghttp2_nv> nvs;
  nvs.reserve(headers.size());
  for (const auto& h : headers) nvs.push_back(nv(h));
  nghttp2_data_provider body = engine_.data_provider();
  int32_t id = nghttp2_submit_request(
      engine_.ng(), nullptr, nvs.data(), nvs.size(),
      request.body().empty() && request.trailers.empty() ? nullptr : &body, nullptr);
  if (id < 0) {  // stream ids used up: a fresh connection can take it
    out.end = End::kRefused;
    out.error = std::string("HTTP/2: ") + nghttp2_strerror(id);
    co_return out;
  }
  auto stream = std::make_shared<Stream>();
  stream->id = id;
  stream->request = &request;
  streams_[id] = stream;
  engine_.kick();

  while (!stream->done) {
    if (co_await stream->wake.wait(deadline) || stream->done) continue;
    // Past the deadline: this stream alone is given up; the others go on.
    nghttp2_submit_rst_stream(engine_.ng(), NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    streams_.erase(id);
    finish(*stream, End::kTimeout, "upstream request timeout");
    engine_.kick();
  }
  stream->request = nullptr;
  out = std::move(stream->x);
  if (out.end == End::kResponse) {
    // Downstream HTTP/1.1 needs a length to delimit the body (a HEAD reply keeps the one the
    // server sent).
    unsigned status = out.response.result_int();
    if (!head && status != 204 && status != 304)
      out.response.content_length(out.response.body().size());
  }
  co_return out;
}

void H2UpstreamConnection::finish(Stream& stream, End end, std::string error) {
  if (stream.done) return;
  stream.done = true;
  stream.request = nullptr;  // a body still being sent ends here (the exchange is over)
  stream.x.end = end;
  stream.x.error = std::move(error);
  stream.wake.notify();
}

Stream* H2UpstreamConnection::find(int32_t stream_id) const {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void H2UpstreamConnection::on_settings() {
  if (!ready_) {
    ready_ = true;
    changed();
    return;
  }
  changed();  // MAX_CONCURRENT_STREAMS may have grown
}

void H2UpstreamConnection::on_goaway() {
  goaway_ = true;
  changed();
  engine_.kick();  // with no stream left, the engine closes the connection
}

void H2UpstreamConnection::on_headers_done(Stream& s, bool end_stream) {
  if (s.too_large || s.done) return;
  if (!s.final_headers) {
    if (s.status >= 200) {
      s.final_headers = true;
      s.x.response.result(s.status);
    } else {  // 100 Continue and friends: the final response follows
      s.x.response = Response{};
      s.status = 0;
    }
  }
  if (end_stream && s.final_headers) finish(s, End::kResponse);
}

void H2UpstreamConnection::on_stream_close(int32_t stream_id, uint32_t error_code) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  StreamPtr s = std::move(it->second);
  streams_.erase(it);
  if (error_code == NGHTTP2_REFUSED_STREAM) {
    s->x.request_started = false;  // the server processed nothing of it (RFC 9113 8.7)
    finish(*s, End::kRefused, "upstream refused the stream");
  } else if (s->too_large) {
    finish(*s, End::kReset, "upstream response too large or malformed");
  } else {
    finish(*s, End::kReset,
           std::string("upstream reset the stream: ") + nghttp2_http2_strerror(error_code));
  }
  engine_.kick();
}

}  // namespace zmesh::l7
