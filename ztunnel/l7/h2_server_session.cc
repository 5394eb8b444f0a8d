#include "l7/h2_server_session.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <chrono>
#include <string>
#include <utility>

#include "l7/h2_server_stream.h"

namespace zmesh::l7 {
namespace asio = boost::asio;
using asio::ip::tcp;
using h2_server::Stream;

namespace {

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kReadBuffer = 64 << 10;
constexpr size_t kWriteBatch = 64 << 10;  // frames gathered into one write
constexpr auto kLinger = std::chrono::seconds(1);

std::string_view view(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Connection-specific headers are malformed in HTTP/2 (RFC 9113 8.2.2): those an HTTP/1.1
// upstream may send, and whatever its Connection header names.
bool connection_specific(const std::string& name, const std::vector<std::string>& named) {
  static constexpr std::string_view kHopByHop[] = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"};
  return std::find(std::begin(kHopByHop), std::end(kHopByHop), name) != std::end(kHopByHop) ||
         std::find(named.begin(), named.end(), name) != named.end();
}

std::vector<std::string> connection_tokens(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view token = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
      token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (!token.empty()) out.push_back(lower(token));
  }
  return out;
}

// :status and the headers of `r`, lowercased, as HTTP/2 carries them. Content-Length follows
// the body actually sent (a HEAD response keeps the one it was given).
std::vector<std::pair<std::string, std::string>> response_headers(const Response& r, bool head) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back(":status", std::to_string(r.result_int()));
  const auto named = connection_tokens(view(r[http::field::connection]));
  for (const auto& f : r) {
    std::string name = lower(view(f.name_string()));
    if (connection_specific(name, named)) continue;
    if (name == "content-length" && !head)
      out.emplace_back(std::move(name), std::to_string(r.body().size()));
    else
      out.emplace_back(std::move(name), std::string(f.value()));
  }
  return out;
}

}  // namespace

PrefaceMatch match_h2_preface(std::string_view first_bytes) {
  const size_t n = std::min(first_bytes.size(), kPreface.size());
  if (first_bytes.substr(0, n) != kPreface.substr(0, n)) return PrefaceMatch::kNo;
  return n == kPreface.size() ? PrefaceMatch::kYes : PrefaceMatch::kPartial;
}

H2ServerSession::H2ServerSession(tcp::socket& socket, Handler handler,
                                 const H2ServerOptions& options)
    : socket_(socket),
      handler_(std::move(handler)),
      options_(options),
      ng_(h2_server::new_server_session(this)),
      writer_wake_(socket.get_executor()),
      done_(socket.get_executor()),
      linger_(socket.get_executor()) {
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(options_.max_header)},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  nghttp2_submit_settings(ng_.get(), NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(ng_.get(), NGHTTP2_FLAG_NONE, 0,
                                        static_cast<int32_t>(options_.connection_window));
  boost::system::error_code ignored;  // HEADERS and small responses must not wait for ACKs
  socket_.set_option(tcp::no_delay(true), ignored);
}

H2ServerSession::~H2ServerSession() = default;

asio::awaitable<void> H2ServerSession::run(std::shared_ptr<H2ServerSession> self,
                                           std::vector<uint8_t> preread) {
  self->writing_ = true;
  asio::co_spawn(self->socket_.get_executor(), write_loop(self), asio::detached);
  co_await self->read_loop(std::move(preread));
  while (self->writing_ || self->handlers_ > 0) co_await self->done_.wait();
  self->fail();
  self->streams_.clear();
}

asio::awaitable<void> H2ServerSession::read_loop(std::vector<uint8_t> preread) {
  if (!feed(preread.data(), preread.size())) co_return;
  std::vector<uint8_t> input(kReadBuffer);
  while (!closed_) {
    boost::system::error_code ec;
    size_t n = co_await socket_.async_read_some(asio::buffer(input),
                                                asio::redirect_error(asio::use_awaitable, ec));
    if (closed_) co_return;
    if (ec) {
      linger_.cancel();
      // A half-close still gets the responses of the requests already in; anything else
      // means nobody is left to read them.
      read_closed_ = true;
      if (ec != asio::error::eof) fail();
      kick();
      co_return;
    }
    if (!feed(input.data(), n)) co_return;
  }
}

bool H2ServerSession::feed(const uint8_t* data, size_t size) {
  // Protocol errors make nghttp2 queue a GOAWAY and stop wanting to read; only fatal ones
  // (bad preface, out of memory) come back here.
  if (size > 0 && nghttp2_session_mem_recv(ng_.get(), data, size) < 0) {
    fail();
    return false;
  }
  kick();  // SETTINGS acks, WINDOW_UPDATEs, refusals
  return true;
}

bool H2ServerSession::finished_writing() const {
  if (nghttp2_session_want_write(ng_.get())) return false;
  return !nghttp2_session_want_read(ng_.get()) || (read_closed_ && handlers_ == 0);
}

asio::awaitable<void> H2ServerSession::write_loop(std::shared_ptr<H2ServerSession> self) {
  H2ServerSession& s = *self;
  while (!s.closed_) {
    s.output_.clear();
    while (s.output_.size() < kWriteBatch) {
      const uint8_t* data = nullptr;
      ssize_t n = nghttp2_session_mem_send(s.ng_.get(), &data);
      if (n < 0) s.fail();
      if (n <= 0) break;
      s.output_.insert(s.output_.end(), data, data + n);
    }
    if (s.closed_) break;
    if (!s.output_.empty()) {
      boost::system::error_code ec;
      co_await asio::async_write(s.socket_, asio::buffer(s.output_),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) s.fail();
      continue;
    }
    if (s.finished_writing()) {
      // After a GOAWAY, or the client's half-close: our last frames are out. Closing at once
      // could turn them into a TCP reset (unread input); give the client a moment to close.
      boost::system::error_code ignored;
      s.socket_.shutdown(tcp::socket::shutdown_send, ignored);
      if (!s.read_closed_) {
        s.linger_.expires_after(kLinger);
        co_await s.linger_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        s.fail();
      }
      break;
    }
    co_await s.writer_wake_.wait();
  }
  s.writing_ = false;
  s.done_.notify();
}

asio::awaitable<void> H2ServerSession::handle(std::shared_ptr<H2ServerSession> self,
                                              StreamPtr stream) {
  bool threw = false;
  // Both outlive the handler: this frame holds them. An HTTP/2 client that closes its side has
  // no more use for the connection (there is no half-close in HTTP/2): gone, as for Envoy.
  Gone gone = [session = self.get(), s = stream.get()] {
    return session->closed_ || session->read_closed_ || s->closed;
  };
  try {
    co_await self->handler_(stream->request, stream->response, gone);
  } catch (const std::exception&) {
    threw = true;
  }
  if (threw) {
    Response failed{http::status::internal_server_error, 20};
    failed.prepare_payload();
    stream->response = std::move(failed);
  }
  --self->handlers_;
  if (!self->closed_ && !stream->closed) self->submit(*stream, stream->head);
  self->kick();
  self->done_.notify();
}

bool H2ServerSession::on_request_complete(int32_t stream_id) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return true;
  StreamPtr stream = it->second;
  // The routing core may send it to an HTTP/1.1 upstream, where only a length delimits it.
  if (auto& body = stream->request.body(); !body.empty())
    stream->request.content_length(body.size());
  try {  // co_spawn posts: the handler starts after this nghttp2 callback has returned
    asio::co_spawn(socket_.get_executor(), handle(shared_from_this(), std::move(stream)),
                   asio::detached);
  } catch (const std::exception&) {
    return false;
  }
  ++handlers_;
  return true;
}

void H2ServerSession::refuse(Stream& stream, unsigned status, const char* body) {
  stream.refused = true;
  std::string().swap(stream.request.body());
  Response r{static_cast<http::status>(status), 20};
  r.set(http::field::content_type, "text/plain");
  r.body() = body;
  r.prepare_payload();
  stream.response = std::move(r);
  submit(stream, false);
}

void H2ServerSession::submit(Stream& stream, bool head) {
  const Response& r = stream.response;
  const auto headers = response_headers(r, head);
  std::vector<nghttp2_nv> nvs;
  nvs.reserve(headers.size());
  for (const auto& [name, value] : headers)
    nvs.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                   value.size(), NGHTTP2_NV_FLAG_NONE});
  // No body and no trailers: the HEADERS frame ends the stream (a gRPC trailers-only reply).
  const bool data = !head && (!r.body().empty() || !r.trailers.empty());
  nghttp2_data_provider provider = h2_server::response_body_provider();
  stream.body_sent = 0;
  // Fails only if the stream is gone meanwhile; then there is nobody to answer.
  nghttp2_submit_response(ng_.get(), stream.id, nvs.data(), nvs.size(), data ? &provider : nullptr);
  kick();
}

void H2ServerSession::on_stream_closed(int32_t stream_id) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  it->second->closed = true;  // a handler still running drops its response
  streams_.erase(it);
  kick();
}

Stream* H2ServerSession::find(int32_t stream_id) const {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void H2ServerSession::fail() {
  if (closed_) return;
  closed_ = true;
  read_closed_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);  // aborts the reader's and the writer's I/O
  linger_.cancel();
  kick();
}

}  // namespace zmesh::l7
