// H2ServerSession over a loopback TCP pair, driven by an nghttp2 client session (the library,
// as curl and most h2c clients use it). The server runs on its own io_context thread; the
// client pumps frames from the test thread with poll().
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "l7/h2_server_session.h"

namespace zmesh::l7 {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

std::string text(boost::beast::string_view s) {
  return std::string(s.data(), s.size());
}

// The server side: one connection, a handler that answers by path.
//   /delay/<ms>  waits, then answers the path;   /echo  the request body and what it saw;
//   /big         2 MiB of body;                  /grpc  body + trailers grpc-status 0;
//   /grpc-only   trailers-only (grpc-status 14 in the headers, no body);
//   /hop         hop-by-hop headers an HTTP/1.1 upstream might send;  /throw  throws.
class Server {
 public:
  explicit Server(H2ServerOptions options = {}) : options_(options) {
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    asio::co_spawn(io_, serve(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Server() {
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  bool wait_done(std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!done && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
    return done;
  }

  std::atomic<int> started{0}, finished{0}, active{0}, max_active{0}, gone_after_delay{0};
  std::atomic<bool> done{false};

 private:
  asio::awaitable<void> serve() {
    auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
    // Like serve_http: a few bytes are read before the session exists, and handed over.
    std::vector<uint8_t> preread(7);
    size_t n = co_await socket.async_read_some(asio::buffer(preread), asio::use_awaitable);
    preread.resize(n);
    auto session = std::make_shared<H2ServerSession>(
        socket,
        [this](Request& q, Response& r, const H2ServerSession::Gone& gone) {
          return handle(q, r, gone);
        },
        options_);
    co_await H2ServerSession::run(session, std::move(preread));
    done = true;
  }

  asio::awaitable<void> handle(Request& request, Response& response,
                               const H2ServerSession::Gone& gone) {
    ++started;
    max_active = std::max(max_active.load(), ++active);
    std::string path = text(request.target());
    response.result(http::status::ok);
    response.set(http::field::content_type, "text/plain");
    if (path.starts_with("/delay/")) {
      asio::steady_timer timer(co_await asio::this_coro::executor,
                               std::chrono::milliseconds(std::stoi(path.substr(7))));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      response.body() = path;
      if (gone()) ++gone_after_delay;
    } else if (path == "/echo") {
      response.set("x-version", std::to_string(request.version()));
      response.set("x-method", text(request.method_string()));
      response.set("x-host", text(request[http::field::host]));
      response.set("x-cookie", text(request[http::field::cookie]));
      response.set("x-content-length", text(request[http::field::content_length]));
      response.set("x-custom", text(request["x-custom"]));
      response.body() = std::move(request.body());
      response.trailers = request.trailers;  // request trailers come back as response ones
    } else if (path == "/big") {
      response.body() = std::string(2 << 20, 'b');
    } else if (path == "/grpc") {
      response.set(http::field::content_type, "application/grpc");
      response.body() = std::string("\0\0\0\0\0", 5);
      response.trailers.add("grpc-status", "0");
      response.trailers.add("Grpc-Message", "fine");
    } else if (path == "/grpc-only") {
      response.set(http::field::content_type, "application/grpc");
      response.set("grpc-status", "14");
    } else if (path == "/hop") {
      response.set(http::field::connection, "keep-alive, x-secret");
      response.set(http::field::keep_alive, "timeout=5");
      response.set(http::field::transfer_encoding, "chunked");
      response.set(http::field::upgrade, "h2c");
      response.set("X-Secret", "hop");
      response.set("X-Kept", "end-to-end");
      response.body() = "hop";
    } else if (path == "/throw") {
      --active;
      ++finished;
      throw std::runtime_error("handler failed");
    } else {
      response.body() = "hello";
    }
    response.prepare_payload();
    --active;
    ++finished;
  }

  H2ServerOptions options_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
};

// The client side: an nghttp2 client session over a non-blocking socket.
class Client {
 public:
  struct Stream {
    std::map<std::string, std::string> headers, trailers;
    std::string body;
    int data_frames = 0;
    bool headers_ended_stream = false;
    bool closed = false;
    uint32_t error = 0;
  };

  explicit Client(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    socket_.non_blocking(true);
    socket_.set_option(tcp::no_delay(true));  // WINDOW_UPDATEs must not wait for Nagle
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, &on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, &on_close);
    nghttp2_session_client_new(&ng_, cb, this);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(ng_, NGHTTP2_FLAG_NONE, nullptr, 0);  // 64 KiB windows
  }
  ~Client() { nghttp2_session_del(ng_); }

  // Names go as given (nghttp2 would lowercase a copy): kept alive with the client.
  nghttp2_nv nv(const std::string& name, std::string& value) {
    auto& n = names_.emplace_back(name);
    return {reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(value.data()),
            n.size(), value.size(), NGHTTP2_NV_FLAG_NO_COPY_NAME};
  }

  // Submits a request; `body` null: none (END_STREAM on HEADERS).
  int32_t request(std::vector<std::pair<std::string, std::string>> headers,
                  const std::string* body = nullptr) {
    std::vector<nghttp2_nv> nvs;
    for (auto& [n, v] : headers) nvs.push_back(nv(n, v));
    nghttp2_data_provider provider{};
    auto source = std::make_unique<Upload>();
    if (body) {
      source->data = *body;
      provider.source.ptr = source.get();
      provider.read_callback = &read_upload;
    }
    int32_t id = nghttp2_submit_request(ng_, nullptr, nvs.data(), nvs.size(),
                                        body ? &provider : nullptr, nullptr);
    uploads_.push_back(std::move(source));
    return id;
  }
  // HEADERS without END_STREAM, and no body to follow.
  int32_t open(std::vector<std::pair<std::string, std::string>> headers) {
    std::vector<nghttp2_nv> nvs;
    for (auto& [n, v] : headers) nvs.push_back(nv(n, v));
    return nghttp2_submit_headers(ng_, NGHTTP2_FLAG_NONE, -1, nullptr, nvs.data(), nvs.size(),
                                  nullptr);
  }
  // A HEADERS frame with END_STREAM on an open stream: its trailers.
  void trailers(int32_t id, std::vector<std::pair<std::string, std::string>> headers) {
    std::vector<nghttp2_nv> nvs;
    for (auto& [n, v] : headers) nvs.push_back(nv(n, v));
    EXPECT_EQ(nghttp2_submit_headers(ng_, NGHTTP2_FLAG_END_STREAM, id, nullptr, nvs.data(),
                                     nvs.size(), nullptr),
              0);
  }
  int32_t get(const std::string& path, const std::string& method = "GET") {
    return request(
        {{":method", method}, {":scheme", "http"}, {":authority", "svc.test"}, {":path", path}});
  }

  // Exchanges frames until `done` or `timeout`; false on timeout.
  bool pump(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (pending_.empty()) {
        const uint8_t* data = nullptr;
        ssize_t n;
        while ((n = nghttp2_session_mem_send(ng_, &data)) > 0) pending_.append(data, data + n);
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{socket_.native_handle(),
               static_cast<short>(POLLIN | (pending_.empty() ? 0 : POLLOUT)), 0};
      // Short waits: `done` may depend on the server alone (a handler that has finished).
      if (::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 10))) <= 0) continue;
      if ((p.revents & POLLOUT) && !pending_.empty()) {
        ssize_t n = ::send(p.fd, pending_.data(), pending_.size(), MSG_NOSIGNAL);
        if (n > 0) pending_.erase(0, n);
      }
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        uint8_t buf[16384];
        ssize_t n = ::recv(p.fd, buf, sizeof(buf), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
          eof = true;
          return done();
        }
        if (n > 0 && nghttp2_session_mem_recv(ng_, buf, n) < 0) return false;
      }
    }
    return true;
  }
  bool finish(int32_t id) {
    return pump([&] { return streams[id].closed; });
  }
  void write_raw(const std::string& bytes) {
    ::send(socket_.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  void close() { socket_.close(); }

  nghttp2_session* ng() { return ng_; }
  std::map<int32_t, Stream> streams;
  std::vector<int32_t> close_order;
  uint32_t goaway_error = UINT32_MAX;
  bool eof = false;

 private:
  struct Upload {
    std::string data;
    size_t sent = 0;
  };
  static Client* self(void* p) { return static_cast<Client*>(p); }
  static int on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl,
                       const uint8_t* v, size_t vl, uint8_t, void* p) {
    auto& s = self(p)->streams[f->hd.stream_id];
    auto& into = f->headers.cat == NGHTTP2_HCAT_HEADERS ? s.trailers : s.headers;
    into[std::string(reinterpret_cast<const char*>(n), nl)] =
        std::string(reinterpret_cast<const char*>(v), vl);
    return 0;
  }
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* f, void* p) {
    if (f->hd.type == NGHTTP2_GOAWAY) self(p)->goaway_error = f->goaway.error_code;
    if (f->hd.stream_id == 0) return 0;
    auto& s = self(p)->streams[f->hd.stream_id];
    if (f->hd.type == NGHTTP2_DATA) ++s.data_frames;
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_RESPONSE &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
      s.headers_ended_stream = true;
    return 0;
  }
  static int on_data(nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t n, void* p) {
    self(p)->streams[id].body.append(reinterpret_cast<const char*>(d), n);
    return 0;
  }
  static int on_close(nghttp2_session*, int32_t id, uint32_t error, void* p) {
    auto& s = self(p)->streams[id];
    s.closed = true;
    s.error = error;
    self(p)->close_order.push_back(id);
    return 0;
  }
  static ssize_t read_upload(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                             uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* u = static_cast<Upload*>(source->ptr);
    size_t n = std::min(length, u->data.size() - u->sent);
    std::memcpy(buf, u->data.data() + u->sent, n);
    u->sent += n;
    if (u->sent == u->data.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  asio::io_context io_;
  tcp::socket socket_;
  nghttp2_session* ng_ = nullptr;
  std::string pending_;
  std::vector<std::unique_ptr<Upload>> uploads_;
  std::deque<std::string> names_;
};

TEST(H2Preface, MatchesOnlyThePreface) {
  EXPECT_EQ(match_h2_preface(""), PrefaceMatch::kPartial);
  EXPECT_EQ(match_h2_preface("PRI * HTTP/2"), PrefaceMatch::kPartial);
  EXPECT_EQ(match_h2_preface("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), PrefaceMatch::kYes);
  EXPECT_EQ(match_h2_preface("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\x12"), PrefaceMatch::kYes);
  EXPECT_EQ(match_h2_preface("POST / HTTP/1.1\r\n"), PrefaceMatch::kNo);
  EXPECT_EQ(match_h2_preface("PRI * HTTP/1.1\r\n"), PrefaceMatch::kNo);
}

TEST(H2ServerSession, ConcurrentStreamsAnsweredOutOfOrder) {
  Server server;
  Client client(server.port());
  int32_t slow = client.get("/delay/400");
  int32_t middle = client.get("/delay/200");
  int32_t fast = client.get("/delay/0");
  ASSERT_TRUE(client.pump([&] { return client.close_order.size() == 3; }));
  EXPECT_EQ(client.close_order, (std::vector<int32_t>{fast, middle, slow}));
  for (int32_t id : {slow, middle, fast}) {
    EXPECT_EQ(client.streams[id].headers[":status"], "200");
    EXPECT_EQ(client.streams[id].error, NGHTTP2_NO_ERROR);
  }
  EXPECT_EQ(client.streams[slow].body, "/delay/400");
  EXPECT_EQ(server.gone_after_delay.load(), 0) << "a client still waiting is not gone";
  EXPECT_EQ(server.max_active.load(), 3);  // all three handlers ran at once
}

TEST(H2ServerSession, TwoMegabytesEachWayThroughFlowControl) {
  Server server;
  Client client(server.port());
  std::string upload(2 << 20, '\0');
  for (size_t i = 0; i < upload.size(); ++i) upload[i] = static_cast<char>('a' + i % 26);
  int32_t echo = client.request({{":method", "POST"},
                                 {":scheme", "http"},
                                 {":authority", "svc.test:8080"},
                                 {":path", "/echo"},
                                 {"cookie", "a=1"},
                                 {"x-custom", "v"},
                                 {"cookie", "b=2"}},
                                &upload);
  int32_t big = client.get("/big");
  ASSERT_TRUE(client.finish(echo));
  ASSERT_TRUE(client.finish(big));
  auto& e = client.streams[echo];
  EXPECT_EQ(e.headers[":status"], "200");
  EXPECT_TRUE(e.body == upload) << "echoed " << e.body.size() << " bytes";
  EXPECT_EQ(e.headers["x-version"], "20");
  EXPECT_EQ(e.headers["x-method"], "POST");
  EXPECT_EQ(e.headers["x-host"], "svc.test:8080");
  EXPECT_EQ(e.headers["x-cookie"], "a=1; b=2");
  EXPECT_EQ(e.headers["x-custom"], "v");
  // gRPC-style uploads carry no length; an HTTP/1.1 upstream needs one.
  EXPECT_EQ(e.headers["x-content-length"], std::to_string(upload.size()));
  EXPECT_EQ(client.streams[big].body.size(), size_t{2 << 20});
  EXPECT_EQ(client.streams[big].headers["content-length"], std::to_string(2 << 20));
}

TEST(H2ServerSession, TrailersGoOutAsTrailers) {
  Server server;
  Client client(server.port());
  int32_t grpc = client.get("/grpc", "POST");
  int32_t only = client.get("/grpc-only", "POST");
  ASSERT_TRUE(client.finish(grpc));
  ASSERT_TRUE(client.finish(only));
  auto& g = client.streams[grpc];
  EXPECT_EQ(g.error, NGHTTP2_NO_ERROR);
  EXPECT_EQ(g.body.size(), 5u);
  EXPECT_EQ(g.trailers["grpc-status"], "0");
  EXPECT_EQ(g.trailers["grpc-message"], "fine");  // lowercased
  EXPECT_EQ(g.headers.count("grpc-status"), 0u);
  auto& o = client.streams[only];
  EXPECT_EQ(o.headers["grpc-status"], "14");
  EXPECT_TRUE(o.headers_ended_stream);  // trailers-only: one HEADERS frame
  EXPECT_EQ(o.data_frames, 0);
  EXPECT_TRUE(o.trailers.empty());
}

TEST(H2ServerSession, RequestTrailersReachTheHandler) {
  Server server;
  Client client(server.port());
  int32_t id = client.open(
      {{":method", "POST"}, {":scheme", "http"}, {":authority", "a"}, {":path", "/echo"}});
  client.pump([] { return false; }, 50ms);  // the HEADERS go out first: the stream opens
  client.trailers(id, {{"x-checksum", "abc"}, {"x-count", "2"}});
  ASSERT_TRUE(client.finish(id));
  EXPECT_EQ(client.streams[id].headers[":status"], "200");
  EXPECT_EQ(client.streams[id].trailers["x-checksum"], "abc");
  EXPECT_EQ(client.streams[id].trailers["x-count"], "2");
}

TEST(H2ServerSession, HeadGetsHeadersOnly) {
  Server server;
  Client client(server.port());
  int32_t id = client.get("/hello", "HEAD");
  ASSERT_TRUE(client.finish(id));
  auto& s = client.streams[id];
  EXPECT_EQ(s.error, NGHTTP2_NO_ERROR);
  EXPECT_EQ(s.headers[":status"], "200");
  EXPECT_EQ(s.headers["content-length"], "5");
  EXPECT_TRUE(s.headers_ended_stream);
  EXPECT_EQ(s.data_frames, 0);
}

TEST(H2ServerSession, HopByHopHeadersAreStripped) {
  Server server;
  Client client(server.port());
  int32_t id = client.get("/hop");
  ASSERT_TRUE(client.finish(id));
  auto& s = client.streams[id];
  // The client's nghttp2 resets a stream whose response carries connection-specific headers.
  EXPECT_EQ(s.error, NGHTTP2_NO_ERROR);
  EXPECT_EQ(s.headers[":status"], "200");
  EXPECT_EQ(s.body, "hop");
  for (const char* h : {"connection", "keep-alive", "transfer-encoding", "upgrade", "x-secret"})
    EXPECT_EQ(s.headers.count(h), 0u) << h;
  EXPECT_EQ(s.headers["x-kept"], "end-to-end");
}

TEST(H2ServerSession, OversizeBodyIsRefusedAndTheConnectionServesOn) {
  H2ServerOptions options;
  options.max_body = 1024;
  Server server(options);
  Client client(server.port());
  std::string upload(64 << 10, 'x');
  int32_t streamed = client.request(
      {{":method", "POST"}, {":scheme", "http"}, {":authority", "a"}, {":path", "/echo"}}, &upload);
  int32_t declared = client.request({{":method", "POST"},
                                     {":scheme", "http"},
                                     {":authority", "a"},
                                     {":path", "/echo"},
                                     {"content-length", std::to_string(upload.size())}},
                                    &upload);
  ASSERT_TRUE(client.finish(streamed));
  ASSERT_TRUE(client.finish(declared));
  EXPECT_EQ(client.streams[streamed].headers[":status"], "413");
  EXPECT_EQ(client.streams[declared].headers[":status"], "413");
  EXPECT_EQ(server.started.load(), 0);  // the handler never saw them
  int32_t after = client.get("/hello");
  ASSERT_TRUE(client.finish(after));
  EXPECT_EQ(client.streams[after].body, "hello");
}

TEST(H2ServerSession, MalformedRequestIsResetAndOthersGoOn) {
  Server server;
  Client client(server.port());
  int32_t slow = client.get("/delay/200");
  int32_t no_path =
      client.request({{":method", "GET"}, {":scheme", "http"}, {":authority", "svc.test"}});
  int32_t upper = client.request({{":method", "GET"},
                                  {":scheme", "http"},
                                  {":authority", "svc.test"},
                                  {":path", "/"},
                                  {"Bad-Case", "1"}});
  ASSERT_TRUE(client.finish(no_path));
  ASSERT_TRUE(client.finish(upper));
  ASSERT_TRUE(client.finish(slow));
  EXPECT_EQ(client.streams[no_path].error, NGHTTP2_PROTOCOL_ERROR);
  EXPECT_EQ(client.streams[upper].error, NGHTTP2_PROTOCOL_ERROR);
  EXPECT_EQ(client.streams[slow].headers[":status"], "200");
  int32_t after = client.get("/hello");
  ASSERT_TRUE(client.finish(after));
  EXPECT_EQ(client.streams[after].body, "hello");
  EXPECT_EQ(server.started.load(), 2);
}

TEST(H2ServerSession, HandlerFailureIsA500) {
  Server server;
  Client client(server.port());
  int32_t id = client.get("/throw");
  ASSERT_TRUE(client.finish(id));
  EXPECT_EQ(client.streams[id].headers[":status"], "500");
}

TEST(H2ServerSession, ResetStreamDropsItsLateResponse) {
  Server server;
  Client client(server.port());
  int32_t cancelled = client.get("/delay/200");
  ASSERT_TRUE(client.pump([&] { return server.started == 1; }));
  nghttp2_submit_rst_stream(client.ng(), NGHTTP2_FLAG_NONE, cancelled, NGHTTP2_CANCEL);
  ASSERT_TRUE(client.pump([&] { return server.finished == 1; }));
  int32_t after = client.get("/hello");
  ASSERT_TRUE(client.finish(after));
  EXPECT_EQ(client.streams[after].body, "hello");
  EXPECT_EQ(client.streams[cancelled].headers.count(":status"), 0u);
  EXPECT_EQ(server.gone_after_delay.load(), 1) << "the handler must see its client gone";
}

TEST(H2ServerSession, ClientGoingAwayMidRequestEndsTheSession) {
  Server server;
  Client client(server.port());
  client.get("/delay/300");    // a handler still running when the client goes
  int32_t open = client.open(  // headers without END_STREAM: the request is not over
      {{":method", "POST"}, {":scheme", "http"}, {":authority", "a"}, {":path", "/echo"}});
  ASSERT_TRUE(client.pump([&] { return server.started == 1; }));
  EXPECT_FALSE(client.streams[open].closed);
  client.close();
  ASSERT_TRUE(server.wait_done(5s));  // run() returned, after the late handler
  EXPECT_EQ(server.finished.load(), 1);
  EXPECT_EQ(server.gone_after_delay.load(), 1) << "the handler must see its client gone";
}

TEST(H2ServerSession, BadPrefaceEndsTheConnection) {
  Server server;
  Client client(server.port());
  client.write_raw("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n");
  ASSERT_TRUE(server.wait_done(5s));
  EXPECT_EQ(server.started.load(), 0);
}

TEST(H2ServerSession, ProtocolErrorGetsGoaway) {
  Server server;
  Client client(server.port());
  ASSERT_TRUE(client.pump([&] {
    return nghttp2_session_get_remote_settings(client.ng(), NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE) ==
           (1u << 20);
  }));
  // A DATA frame on stream 0 is a connection error (RFC 9113 6.1).
  client.write_raw(std::string("\0\0\1\0\0\0\0\0\0x", 10));
  EXPECT_TRUE(client.pump([&] { return client.goaway_error != UINT32_MAX; }, 5s));
  EXPECT_EQ(client.goaway_error, NGHTTP2_PROTOCOL_ERROR);
  EXPECT_TRUE(server.wait_done(5s));
}

}  // namespace
}  // namespace zmesh::l7
