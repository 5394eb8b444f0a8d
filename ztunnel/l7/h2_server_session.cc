#include "l7/h2_server_session.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
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

namespace {

h2::EngineOptions engine_options(const H2ServerOptions& o) {
  h2::EngineOptions e;
  e.role = h2::EngineOptions::Role::kServer;
  e.settings = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, o.max_concurrent_streams},
                {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, o.stream_window},
                {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(o.max_header)},
                {NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  e.connection_window = o.connection_window;
  // RFC 9113 8.2.1: a header nghttp2 would drop (an upper-case name, say) makes the request
  // malformed: its stream is reset.
  e.reject_invalid_headers = true;
  e.read_buffer = e.max_read_buffer = kReadBuffer;
  e.write_batch = kWriteBatch;
  e.linger = kLinger;
  return e;
}

}  // namespace

H2ServerSession::H2ServerSession(tcp::socket& socket, Handler handler,
                                 const H2ServerOptions& options)
    : H2ServerSession(socket.get_executor(), std::make_unique<h2::SocketTransport>(socket),
                      std::move(handler), options) {}

H2ServerSession::H2ServerSession(const asio::any_io_executor& executor,
                                 std::unique_ptr<h2::Transport> transport, Handler handler,
                                 const H2ServerOptions& options)
    : handler_(std::move(handler)),
      options_(options),
      transport_(std::move(transport)),
      engine_(executor, *this, engine_options(options_)),
      done_(executor) {
  engine_.attach(*transport_);
}

H2ServerSession::~H2ServerSession() = default;

asio::awaitable<void> H2ServerSession::run(std::shared_ptr<H2ServerSession> self,
                                           std::vector<uint8_t> preread) {
  co_await self->engine_.run(self, std::move(preread));
  while (self->handlers_ > 0) co_await self->done_.wait();
  self->engine_.close("");
  self->streams_.clear();
}

asio::awaitable<void> H2ServerSession::handle(std::shared_ptr<H2ServerSession> self,
                                              StreamPtr stream) {
  bool threw = false;
  // Both outlive the handler: this frame holds them. An HTTP/2 client that closes its side has
  // no more use for the connection (there is no half-close in HTTP/2): gone, as for Envoy.
  Gone gone = [engine = &self->engine_, s = stream.get()] {
    return engine->closed() || engine->read_closed() || s->closed;
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
  if (!self->engine_.closed() && !stream->closed) self->submit(*stream, stream->head);
  self->engine_.kick();
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
    asio::co_spawn(engine_.executor(), handle(shared_from_this(), std::move(stream)),
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
  nghttp2_data_provider provider = engine_.data_provider();
  stream.body_sent = 0;
  // Fails only if the stream is gone meanwhile; then there is nobody to answer.
  nghttp2_submit_response(engine_.ng(), stream.id, nvs.data(), nvs.size(),
                          data ? &provider : nullptr);
  engine_.kick();
}

Stream* H2ServerSession::find(int32_t stream_id) const {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second.get();
}

}  // namespace zmesh::l7
