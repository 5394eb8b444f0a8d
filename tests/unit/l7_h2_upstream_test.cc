// The HTTP/2 upstream path: H2UpstreamPool and H2UpstreamConnection against an nghttp2 server
// (the library, as nghttpd and most h2c servers use it) on loopback, on its own thread; the
// client runs on the test thread's io_context. Plus the HTTP/1.1-or-HTTP/2 decision table.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "l7/grpc_status.h"
#include "l7/h2_attempt.h"
#include "l7/h2_upstream_pool.h"
#include "l7/upstream_protocol.h"
#include "routing/http_ports.h"

namespace zmesh::l7 {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using End = H2Exchange::End;

// ---------------------------------------------------------------------------------------------
// The upstream: an nghttp2 server answering by path.
//   /echo            what it received (method, authority, te, header names, body);
//   /delay/<ms>      "delayed" after <ms>;
//   /grpc/<code>     a gRPC reply: body, then trailers grpc-status <code>;
//   /grpc-only/<c>   trailers-only: grpc-status <c> in the headers, no body;
//   /goaway          GOAWAY whose last-stream-id is the stream before this one (refused);
//   /close           closes the TCP connection at once.
class H2TestServer {
 public:
  explicit H2TestServer(uint32_t max_concurrent_streams = 100)
      : max_streams_(max_concurrent_streams) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~H2TestServer() {
    stop_ = true;
    thread_.join();
    for (auto& c : conns_) close_conn(*c);
    ::close(listener_);
  }
  uint16_t port() const { return port_; }

  std::atomic<int> accepts{0}, closes{0}, cancels{0}, requests{0};
  std::atomic<int> max_active{0};   // most streams open at once on one connection
  std::atomic<int> pings{0};        // PINGs received (nghttp2 ACKs them by itself)
  std::atomic<bool> paused{false};  // reads and answers nothing (a hung peer)

 private:
  struct Stream {
    int32_t id = 0;
    std::string method, path, authority, te, names, body, trailers;
    Clock::time_point due;
    bool scheduled = false;
    std::string reply;  // the response body
    size_t sent = 0;
    int grpc_trailer = -1;  // grpc-status to send as a trailer after the body
  };
  struct Conn {
    H2TestServer* server = nullptr;
    int fd = -1;
    nghttp2_session* ng = nullptr;
    std::map<int32_t, Stream> streams;
    int active = 0;
    bool close_now = false;
  };

  void loop() {
    while (!stop_) {
      if (paused) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (auto& c : conns_) fds.push_back({c->fd, POLLIN, 0});
      ::poll(fds.data(), fds.size(), 5);
      if (fds[0].revents & POLLIN) accept_one();
      for (size_t i = 1; i < fds.size(); ++i)
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) read_from(*conns_[i - 1]);
      for (auto& c : conns_) {
        respond_due(*c);
        flush(*c);
      }
      std::erase_if(conns_, [this](const std::unique_ptr<Conn>& c) {
        bool done = c->fd < 0 || c->close_now ||
                    (!nghttp2_session_want_read(c->ng) && !nghttp2_session_want_write(c->ng));
        if (done) close_conn(*c);
        return done;
      });
    }
  }

  void accept_one() {
    int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    ++accepts;
    auto c = std::make_unique<Conn>();
    c->server = this;
    c->fd = fd;
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_session_server_new(&c->ng, cb, c.get());
    nghttp2_session_callbacks_del(cb);
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams_}};
    nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, settings, 1);
    conns_.push_back(std::move(c));
  }

  void close_conn(Conn& c) {
    if (c.ng) nghttp2_session_del(c.ng);
    c.ng = nullptr;
    if (c.fd >= 0) {
      ::close(c.fd);
      ++closes;
    }
    c.fd = -1;
  }

  void read_from(Conn& c) {
    uint8_t buf[16384];
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n <= 0 || nghttp2_session_mem_recv(c.ng, buf, n) < 0) {
      close_conn(c);
      return;
    }
  }

  void flush(Conn& c) {
    if (c.fd < 0 || c.close_now) return;
    for (;;) {
      const uint8_t* data = nullptr;
      ssize_t n = nghttp2_session_mem_send(c.ng, &data);
      if (n <= 0) return;
      if (::send(c.fd, data, n, MSG_NOSIGNAL) != n) {
        close_conn(c);
        return;
      }
    }
  }

  static int after(const std::string& path, const std::string& prefix) {
    return std::atoi(path.c_str() + prefix.size());
  }

  // When the request is complete: answer now, or later for /delay.
  void schedule(Stream& s) {
    ++requests;
    s.scheduled = true;
    s.due = Clock::now();
    if (s.path.starts_with("/delay/")) s.due += std::chrono::milliseconds(after(s.path, "/delay/"));
  }

  void respond_due(Conn& c) {
    if (c.fd < 0) return;
    auto now = Clock::now();
    for (auto& [id, s] : c.streams) {
      if (!s.scheduled || s.due > now) continue;
      s.scheduled = false;
      respond(c, s);
      if (c.close_now) return;
    }
  }

  void respond(Conn& c, Stream& s) {
    std::vector<std::pair<std::string, std::string>> h{{":status", "200"}};
    bool data = true;
    if (s.path == "/echo") {
      s.reply = "method=" + s.method + " authority=" + s.authority + " te=" + s.te +
                " names=" + s.names + " body=" + s.body + " trailers=" + s.trailers;
    } else if (s.path.starts_with("/delay/")) {
      s.reply = "delayed";
    } else if (s.path.starts_with("/grpc/")) {
      h.push_back({"content-type", "application/grpc"});
      s.reply = "grpc-body";
      s.grpc_trailer = after(s.path, "/grpc/");
    } else if (s.path.starts_with("/grpc-only/")) {
      h.push_back({"content-type", "application/grpc"});
      h.push_back({"grpc-status", std::to_string(after(s.path, "/grpc-only/"))});
      data = false;
    } else if (s.path == "/goaway") {
      nghttp2_submit_goaway(c.ng, NGHTTP2_FLAG_NONE, s.id - 2, NGHTTP2_NO_ERROR, nullptr, 0);
      return;
    } else if (s.path == "/close") {
      c.close_now = true;
      return;
    } else {
      h[0].second = "404";
    }
    std::vector<nghttp2_nv> nvs;
    for (auto& [n, v] : h)
      nvs.push_back({reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()),
                     n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    nghttp2_data_provider provider{};
    provider.read_callback = read_reply;
    nghttp2_submit_response(c.ng, s.id, nvs.data(), nvs.size(), data ? &provider : nullptr);
  }

  static Conn& conn(void* user_data) { return *static_cast<Conn*>(user_data); }

  static ssize_t read_reply(nghttp2_session* ng, int32_t id, uint8_t* buf, size_t length,
                            uint32_t* flags, nghttp2_data_source*, void* user_data) {
    auto it = conn(user_data).streams.find(id);
    if (it == conn(user_data).streams.end()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    Stream& s = it->second;
    size_t n = std::min(length, s.reply.size() - s.sent);
    std::memcpy(buf, s.reply.data() + s.sent, n);
    s.sent += n;
    if (s.sent == s.reply.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (s.grpc_trailer >= 0) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        static std::string status = "grpc-status", message = "grpc-message", text = "from-trailer";
        std::string code = std::to_string(s.grpc_trailer);
        nghttp2_nv t[] = {
            {reinterpret_cast<uint8_t*>(status.data()), reinterpret_cast<uint8_t*>(code.data()),
             status.size(), code.size(), NGHTTP2_NV_FLAG_NONE},
            {reinterpret_cast<uint8_t*>(message.data()), reinterpret_cast<uint8_t*>(text.data()),
             message.size(), text.size(), NGHTTP2_NV_FLAG_NONE}};
        nghttp2_submit_trailer(ng, id, t, 2);  // nghttp2 copies the fields
      }
    }
    return static_cast<ssize_t>(n);
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* f, void* user_data) {
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    Conn& c = conn(user_data);
    c.streams[f->hd.stream_id].id = f->hd.stream_id;
    ++c.active;
    int seen = c.server->max_active.load();
    while (c.active > seen && !c.server->max_active.compare_exchange_weak(seen, c.active)) {
    }
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                       void* user_data) {
    auto it = conn(user_data).streams.find(f->hd.stream_id);
    if (it == conn(user_data).streams.end()) return 0;
    std::string n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    Stream& s = it->second;
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_HEADERS) {
      s.trailers += (s.trailers.empty() ? "" : ",") + n + ":" + v;  // after the body
      return 0;
    }
    if (n == ":method") s.method = v;
    if (n == ":path") s.path = v;
    if (n == ":authority") s.authority = v;
    if (n == "te") s.te = v;
    if (!n.starts_with(':')) s.names += (s.names.empty() ? "" : ",") + n;
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* f, void* user_data) {
    if (f->hd.type == NGHTTP2_PING && !(f->hd.flags & NGHTTP2_FLAG_ACK))
      ++conn(user_data).server->pings;
    if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
        !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
      return 0;
    Conn& c = conn(user_data);
    auto it = c.streams.find(f->hd.stream_id);
    if (it != c.streams.end()) c.server->schedule(it->second);
    return 0;
  }

  static int on_data(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                     void* user_data) {
    auto it = conn(user_data).streams.find(id);
    if (it != conn(user_data).streams.end())
      it->second.body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t id, uint32_t error_code, void* user_data) {
    Conn& c = conn(user_data);
    if (error_code == NGHTTP2_CANCEL) ++c.server->cancels;
    if (c.streams.erase(id)) --c.active;
    return 0;
  }

  uint32_t max_streams_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Conn>> conns_;
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// The client: the pool and its connections on this thread's io_context.
class Client {
 public:
  explicit Client(uint16_t port, upstream::CircuitBreakerLimits limits = {})
      : port_(port), breaker_(limits) {}

  // Runs `body` (and whatever it spawns) until it returns.
  void run(std::function<asio::awaitable<void>()> body) {
    bool done = false;
    std::exception_ptr error;
    asio::co_spawn(io, body(), [&](std::exception_ptr e) {
      done = true;
      error = e;
    });
    auto until = Clock::now() + 20s;
    while (!done && Clock::now() < until) io.run_one_for(100ms);
    ASSERT_TRUE(done) << "the client did not finish";
    if (error) std::rethrow_exception(error);
  }

  // One request through the pool, within `timeout`.
  asio::awaitable<H2Exchange> send(std::string method, std::string path, std::string body = "",
                                   std::optional<Clock::duration> timeout = std::nullopt,
                                   route::HeaderList trailers = {}) {
    Request request{http::string_to_verb(method), path, 11};
    request.set(http::field::host, "svc.test:8080");
    request.set(http::field::connection, "keep-alive");
    request.set("TE", "trailers");
    request.set("X-Custom", "1");
    request.body() = body;
    if (!body.empty()) request.prepare_payload();
    request.trailers = std::move(trailers);
    std::optional<Clock::time_point> deadline;
    if (timeout) deadline = Clock::now() + *timeout;
    auto got = co_await pool.acquire("key", breaker_, owner_, options, opener(), deadline);
    H2Exchange x;
    if (got.failure != H2Acquired::Failure::kNone) {
      x.end = got.failure == H2Acquired::Failure::kTimeout ? End::kTimeout : End::kConnectFailure;
      x.error = got.error;
      co_return x;
    }
    co_return co_await got.lease->exchange(request, method == "HEAD", deadline);
  }

  // `n` requests at once; their results in order.
  asio::awaitable<std::vector<H2Exchange>> send_all(std::vector<std::string> paths) {
    std::vector<H2Exchange> out(paths.size());
    size_t finished = 0;
    auto executor = co_await asio::this_coro::executor;
    for (size_t i = 0; i < paths.size(); ++i)
      asio::co_spawn(
          executor,
          [&, i]() -> asio::awaitable<void> {
            out[i] = co_await send("GET", paths[i]);
            ++finished;
          },
          asio::detached);
    co_await until([&] { return finished == paths.size(); });
    co_return out;
  }

  // Polls `done` until it holds; false once `timeout` has passed. What the tests wait for is an
  // event (a counter, a state), never a fixed time.
  static asio::awaitable<bool> until(std::function<bool()> done, Clock::duration timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    asio::steady_timer poll(co_await asio::this_coro::executor);
    while (!done()) {
      if (Clock::now() >= deadline) co_return false;
      poll.expires_after(2ms);
      co_await poll.async_wait(asio::use_awaitable);
    }
    co_return true;
  }

  asio::io_context io;
  H2UpstreamPool pool;
  H2UpstreamOptions options;

 private:
  H2UpstreamPool::Opener opener() {
    return [this](H2UpstreamConnection&)
               -> asio::awaitable<Result<std::unique_ptr<transport::UpstreamChannel>>> {
      tcp::socket socket(io);
      boost::system::error_code ec;
      co_await socket.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                                    asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return make_error("connect: " + ec.message());
      co_return transport::tcp_channel(std::move(socket));
    };
  }

  uint16_t port_;
  upstream::CircuitBreaker breaker_;
  std::shared_ptr<int> owner_ = std::make_shared<int>(0);
};

std::string text(const Response& r) {
  return r.body();
}

std::optional<std::string> trailer(const Response& r, const std::string& name) {
  return r.trailers.get(name);
}

// ---------------------------------------------------------------------------------------------

TEST(H2Upstream, ConcurrentRequestsShareOneConnection) {
  H2TestServer server;
  Client client(server.port());
  std::vector<H2Exchange> results;
  auto started = Clock::now();
  client.run([&]() -> asio::awaitable<void> {
    results = co_await client.send_all(std::vector<std::string>(5, "/delay/300"));
  });
  auto took = Clock::now() - started;
  ASSERT_EQ(results.size(), 5u);
  for (const auto& x : results) {
    EXPECT_EQ(x.end, End::kResponse) << x.error;
    EXPECT_EQ(x.response.result_int(), 200u);
    EXPECT_EQ(text(x.response), "delayed");
  }
  EXPECT_EQ(server.accepts, 1);
  EXPECT_EQ(server.max_active, 5);  // all five in flight together on that one connection
  EXPECT_LT(took, 1200ms);          // not one after the other (5 x 300 ms)
  EXPECT_EQ(client.pool.connections("key"), 1u);
}

TEST(H2Upstream, RequestHeadersAndBody) {
  H2TestServer server;
  Client client(server.port());
  H2Exchange x;
  client.run([&]() -> asio::awaitable<void> { x = co_await client.send("POST", "/echo", "hi"); });
  ASSERT_EQ(x.end, End::kResponse) << x.error;
  const std::string body = text(x.response);
  EXPECT_NE(body.find("method=POST"), std::string::npos) << body;
  EXPECT_NE(body.find("authority=svc.test:8080"), std::string::npos) << body;
  EXPECT_NE(body.find("te=trailers"), std::string::npos) << body;
  EXPECT_NE(body.find("x-custom"), std::string::npos) << body;  // lowercased
  EXPECT_EQ(body.find("connection"), std::string::npos) << body;
  EXPECT_EQ(body.find("host"), std::string::npos) << body;  // it is :authority
  EXPECT_NE(body.find("body=hi"), std::string::npos) << body;
  // The body has a length for an HTTP/1.1 client downstream.
  EXPECT_EQ(x.response[http::field::content_length], std::to_string(body.size()));
}

TEST(H2Upstream, RequestTrailersFollowTheBody) {
  H2TestServer server;
  Client client(server.port());
  H2Exchange with_body, without_body;
  route::HeaderList trailers;
  trailers.add("X-Checksum", "abc");
  client.run([&]() -> asio::awaitable<void> {
    with_body = co_await client.send("POST", "/echo", "hi", std::nullopt, trailers);
    without_body = co_await client.send("POST", "/echo", "", std::nullopt, trailers);
  });
  ASSERT_EQ(with_body.end, End::kResponse) << with_body.error;
  ASSERT_EQ(without_body.end, End::kResponse) << without_body.error;
  EXPECT_NE(text(with_body.response).find("body=hi trailers=x-checksum:abc"), std::string::npos)
      << text(with_body.response);
  EXPECT_NE(text(without_body.response).find("body= trailers=x-checksum:abc"), std::string::npos)
      << text(without_body.response);
}

TEST(H2Upstream, GrpcStatusFromTrailersAndTrailersOnly) {
  H2TestServer server;
  Client client(server.port());
  H2Exchange with_trailers, trailers_only;
  client.run([&]() -> asio::awaitable<void> {
    with_trailers = co_await client.send("POST", "/grpc/14", std::string(5, '\0'));
    trailers_only = co_await client.send("POST", "/grpc-only/8", "x");
  });
  ASSERT_EQ(with_trailers.end, End::kResponse) << with_trailers.error;
  EXPECT_EQ(text(with_trailers.response), "grpc-body");
  EXPECT_EQ(trailer(with_trailers.response, "grpc-status"), "14");
  EXPECT_EQ(trailer(with_trailers.response, "grpc-message"), "from-trailer");
  EXPECT_EQ(with_trailers.response.find("grpc-status"), with_trailers.response.end());
  EXPECT_EQ(grpc_status(with_trailers.response), 14u);

  ASSERT_EQ(trailers_only.end, End::kResponse) << trailers_only.error;
  EXPECT_TRUE(trailers_only.response.trailers.empty());
  EXPECT_EQ(grpc_status(trailers_only.response), 8u);

  // What retryOn sees: UNAVAILABLE (14) from the trailers is retried by Istio's default policy;
  // RESOURCE_EXHAUSTED (8) only when asked for.
  auto policy = route::default_retry_policy();
  EXPECT_EQ(h2_outcome(with_trailers).grpc_status, 14u);
  EXPECT_TRUE(route::should_retry(policy, h2_outcome(with_trailers)));
  EXPECT_FALSE(route::should_retry(policy, h2_outcome(trailers_only)));
  route::parse_retry_on("resource-exhausted", policy);
  EXPECT_TRUE(route::should_retry(policy, h2_outcome(trailers_only)));
  EXPECT_EQ(server.accepts, 1);
}

TEST(H2Upstream, TimeoutResetsOnlyTheStream) {
  H2TestServer server;
  Client client(server.port());
  H2Exchange slow, slow_sibling, next;
  Clock::duration took{};
  client.run([&]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    bool sibling_done = false;
    asio::co_spawn(
        executor,
        [&]() -> asio::awaitable<void> {
          slow_sibling = co_await client.send("GET", "/delay/600");
          sibling_done = true;
        },
        asio::detached);
    auto started = Clock::now();
    slow = co_await client.send("GET", "/delay/3000", "", 150ms);
    took = Clock::now() - started;
    next = co_await client.send("GET", "/echo");
    EXPECT_TRUE(co_await Client::until([&] { return sibling_done; }));
  });
  EXPECT_EQ(slow.end, End::kTimeout);
  EXPECT_TRUE(slow.request_started);
  EXPECT_LT(took, 1000ms);
  EXPECT_EQ(h2_outcome(slow).kind, route::AttemptOutcome::Kind::kPerTryTimeout);
  // The connection lives on: the stream in flight beside it and the next request both answer.
  EXPECT_EQ(slow_sibling.end, End::kResponse) << slow_sibling.error;
  EXPECT_EQ(next.end, End::kResponse) << next.error;
  EXPECT_EQ(server.accepts, 1);
  EXPECT_EQ(server.cancels, 1);  // RST_STREAM CANCEL for the one that timed out
}

TEST(H2Upstream, GoawayFinishesOlderStreamsAndRefusesNewer) {
  H2TestServer server;
  Client client(server.port());
  H2Exchange older, refused, after;
  client.run([&]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    bool older_done = false;
    asio::co_spawn(
        executor,
        [&]() -> asio::awaitable<void> {
          older = co_await client.send("GET", "/delay/400");  // stream 1
          older_done = true;
        },
        asio::detached);
    // Stream 1 is with the server before stream 3 goes.
    EXPECT_TRUE(co_await Client::until([&] { return server.requests == 1; }));
    refused = co_await client.send("GET", "/goaway");  // stream 3: GOAWAY last-stream-id 1
    after = co_await client.send("GET", "/echo");      // not on the connection going away
    EXPECT_TRUE(co_await Client::until([&] { return older_done; }));
  });
  EXPECT_EQ(refused.end, End::kRefused) << refused.error;
  EXPECT_FALSE(refused.request_started || h2_outcome(refused).request_started);
  // Envoy's refused-stream, in Istio's default retryOn: safe to send again elsewhere.
  EXPECT_EQ(h2_outcome(refused).kind, route::AttemptOutcome::Kind::kRefusedStream);
  EXPECT_TRUE(route::should_retry(route::default_retry_policy(), h2_outcome(refused)));
  EXPECT_EQ(older.end, End::kResponse) << older.error;
  EXPECT_EQ(text(older.response), "delayed");
  EXPECT_EQ(after.end, End::kResponse) << after.error;
  EXPECT_EQ(server.accepts, 2);
}

TEST(H2Upstream, ConnectionCloseFailsEveryStream) {
  H2TestServer server;
  Client client(server.port());
  std::vector<H2Exchange> results;
  H2Exchange after;
  client.run([&]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    results.resize(3);
    int finished = 0;
    for (int i = 0; i < 2; ++i)
      asio::co_spawn(
          executor,
          [&, i]() -> asio::awaitable<void> {
            results[i] = co_await client.send("GET", "/delay/2000");
            ++finished;
          },
          asio::detached);
    // Both in flight: the server has both requests.
    EXPECT_TRUE(co_await Client::until([&] { return server.requests == 2; }));
    results[2] = co_await client.send("GET", "/close");
    EXPECT_TRUE(co_await Client::until([&] { return finished == 2; }));
    after = co_await client.send("GET", "/echo");
  });
  for (const auto& x : results) {
    EXPECT_EQ(x.end, End::kReset);
    EXPECT_TRUE(x.connection_lost);
    EXPECT_TRUE(x.request_started);
    EXPECT_EQ(h2_outcome(x).kind, route::AttemptOutcome::Kind::kReset);
  }
  EXPECT_EQ(after.end, End::kResponse) << after.error;  // on a new connection
  EXPECT_EQ(server.accepts, 2);
}

TEST(H2Upstream, ServerStreamLimitOpensAnotherConnection) {
  H2TestServer server(/*max_concurrent_streams=*/1);
  Client client(server.port());
  std::vector<H2Exchange> results;
  client.run([&]() -> asio::awaitable<void> {
    co_await client.send("GET", "/echo");  // learns the limit
    results = co_await client.send_all(std::vector<std::string>(3, "/delay/200"));
  });
  for (const auto& x : results) EXPECT_EQ(x.end, End::kResponse) << x.error;
  EXPECT_EQ(server.max_active, 1);  // never beyond the server's limit (nothing refused)
  EXPECT_EQ(server.accepts, 3);     // one connection per request in flight
}

TEST(H2Upstream, ServerStreamLimitAndMaxConnectionsQueue) {
  H2TestServer server(/*max_concurrent_streams=*/1);
  upstream::CircuitBreakerLimits limits;
  limits.max_connections = 1;
  Client client(server.port(), limits);
  std::vector<H2Exchange> results;
  auto started = Clock::now();
  client.run([&]() -> asio::awaitable<void> {
    co_await client.send("GET", "/echo");
    results = co_await client.send_all(std::vector<std::string>(3, "/delay/150"));
  });
  auto took = Clock::now() - started;
  for (const auto& x : results) EXPECT_EQ(x.end, End::kResponse) << x.error;
  EXPECT_EQ(server.accepts, 1);
  EXPECT_EQ(server.max_active, 1);
  EXPECT_GE(took, 450ms);  // one after the other
}

TEST(H2Upstream, QueuedRequestTimesOutAsPending) {
  H2TestServer server(/*max_concurrent_streams=*/1);
  upstream::CircuitBreakerLimits limits;
  limits.max_connections = 1;
  Client client(server.port(), limits);
  H2Exchange busy, queued;
  client.run([&]() -> asio::awaitable<void> {
    co_await client.send("GET", "/echo");
    auto executor = co_await asio::this_coro::executor;
    bool busy_done = false;
    asio::co_spawn(
        executor,
        [&]() -> asio::awaitable<void> {
          busy = co_await client.send("GET", "/delay/500");
          busy_done = true;
        },
        asio::detached);
    // The one stream the connection may carry is taken: the server has the busy request.
    EXPECT_TRUE(co_await Client::until([&] { return server.requests == 2; }));
    queued = co_await client.send("GET", "/echo", "", 100ms);
    EXPECT_TRUE(co_await Client::until([&] { return busy_done; }));
  });
  EXPECT_EQ(busy.end, End::kResponse) << busy.error;
  EXPECT_EQ(queued.end, End::kTimeout);
  EXPECT_EQ(server.accepts, 1);
}

TEST(H2Upstream, MaxRequestsPerConnection) {
  H2TestServer server;
  Client client(server.port());
  client.options.max_requests = 2;
  std::vector<End> ends;
  client.run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) ends.push_back((co_await client.send("GET", "/echo")).end);
    // The first connection closes once drained.
    EXPECT_TRUE(co_await Client::until([&] { return server.closes == 1; }));
  });
  for (auto e : ends) EXPECT_EQ(e, End::kResponse);
  EXPECT_EQ(server.accepts, 2);
  EXPECT_EQ(server.closes, 1);
}

TEST(H2Upstream, IdleConnectionCloses) {
  H2TestServer server;
  Client client(server.port());
  client.options.idle_timeout = 100ms;
  H2Exchange x;
  client.run([&]() -> asio::awaitable<void> {
    x = co_await client.send("GET", "/echo");
    EXPECT_TRUE(co_await Client::until([&] { return client.pool.connections("key") == 0; }));
    EXPECT_TRUE(co_await Client::until([&] { return server.closes == 1; }));
  });
  EXPECT_EQ(x.end, End::kResponse);
  EXPECT_EQ(server.closes, 1);
  EXPECT_EQ(client.pool.connections("key"), 0u);
}

// http.maxConcurrentStreams below the server's 100: more requests in flight open more
// connections instead.
TEST(H2Upstream, MaxConcurrentStreamsCapsAConnection) {
  H2TestServer server;
  Client client(server.port());
  client.options.max_streams = 2;
  std::vector<H2Exchange> results;
  client.run([&]() -> asio::awaitable<void> {
    co_await client.send("GET", "/echo");  // ready: the server's SETTINGS are known
    results = co_await client.send_all(std::vector<std::string>(4, "/delay/200"));
  });
  for (const auto& x : results) EXPECT_EQ(x.end, End::kResponse) << x.error;
  EXPECT_EQ(server.max_active, 2);
  EXPECT_EQ(server.accepts, 2);
}

// tcp.maxConnectionDuration: past it the connection drains and the next request opens another.
TEST(H2Upstream, MaxConnectionDurationDrainsTheConnection) {
  H2TestServer server;
  Client client(server.port());
  client.options.max_duration = 150ms;
  H2Exchange first, second;
  client.run([&]() -> asio::awaitable<void> {
    first = co_await client.send("GET", "/echo");
    EXPECT_TRUE(co_await Client::until([&] { return client.pool.connections("key") == 0; }));
    second = co_await client.send("GET", "/echo");
  });
  EXPECT_EQ(first.end, End::kResponse) << first.error;
  EXPECT_EQ(second.end, End::kResponse) << second.error;
  EXPECT_EQ(server.accepts, 2);
}

// http.http2KeepAlive: PINGs at the interval keep an answering peer's connection; a peer that
// stops answering loses it after the timeout.
TEST(H2Upstream, KeepalivePingsAndClosesWithoutAck) {
  H2TestServer server;
  Client client(server.port());
  client.options.ping_interval = 50ms;
  client.options.ping_timeout = 100ms;
  size_t alive = 0, after_hang = 0;
  client.run([&]() -> asio::awaitable<void> {
    co_await client.send("GET", "/echo");
    // Several PINGs answered: the connection lives on.
    EXPECT_TRUE(co_await Client::until([&] { return server.pings >= 3; }));
    alive = client.pool.connections("key");
    server.paused = true;
    // A PING without an ACK: closed after the timeout.
    EXPECT_TRUE(co_await Client::until([&] { return client.pool.connections("key") == 0; }));
    after_hang = client.pool.connections("key");
    server.paused = false;
  });
  EXPECT_GE(server.pings, 3);
  EXPECT_EQ(alive, 1u);
  EXPECT_EQ(after_hang, 0u);
}

TEST(H2Upstream, NotAnHttp2ServerIsAConnectFailure) {
  // A listener that answers like an HTTP/1.1 server and closes.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(fd, 4);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread peer([fd] {
    int c = ::accept(fd, nullptr, nullptr);
    char buf[256];
    (void)::recv(c, buf, sizeof buf, 0);
    static const char kReply[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
    (void)::send(c, kReply, sizeof kReply - 1, MSG_NOSIGNAL);
    ::close(c);
  });
  Client client(ntohs(addr.sin_port));
  H2Exchange x;
  client.run([&]() -> asio::awaitable<void> { x = co_await client.send("GET", "/", "", 2s); });
  peer.join();
  ::close(fd);
  EXPECT_EQ(x.end, End::kConnectFailure) << x.error;
}

// ---------------------------------------------------------------------------------------------

state::ServicePort port(std::string name, std::string app_protocol = "") {
  state::ServicePort p;
  p.name = std::move(name);
  p.app_protocol = std::move(app_protocol);
  p.port = 80;
  return p;
}

UpstreamProtocol upstream_protocol(const state::ServicePort* port,
                                   std::optional<state::HttpSettings::H2Upgrade> upgrade, bool grpc,
                                   bool use_client = false, bool client_h2 = false) {
  return l7::upstream_protocol(ProtocolInputs{port, upgrade, use_client, grpc, client_h2});
}

TEST(UpstreamProtocol, DecisionTable) {
  using H2 = state::HttpSettings::H2Upgrade;
  const auto kH1 = UpstreamProtocol::kHttp1, kH2 = UpstreamProtocol::kHttp2;
  struct Case {
    state::ServicePort port;
    std::optional<H2> upgrade;
    bool grpc;
    UpstreamProtocol want;
  };
  const Case cases[] = {
      {port("http"), std::nullopt, false, kH1},
      {port("http-web"), std::nullopt, false, kH1},
      {port("tcp"), std::nullopt, false, kH1},
      {port("web", "http"), std::nullopt, false, kH1},
      {port("http2"), std::nullopt, false, kH2},
      {port("HTTP2-api"), std::nullopt, false, kH2},
      {port("grpc"), std::nullopt, false, kH2},
      {port("grpc-web"), std::nullopt, false, kH2},  // the prefix is grpc
      {port("Grpc-x"), std::nullopt, false, kH2},
      {port("x", "http2"), std::nullopt, false, kH2},
      {port("x", "GRPC"), std::nullopt, false, kH2},
      {port("x", "grpc-web"), std::nullopt, false, kH2},
      {port("x", "kubernetes.io/h2c"), std::nullopt, false, kH2},
      {port("http2", "http"), std::nullopt, false, kH1},  // appProtocol wins over the name
      {port("grpcx"), std::nullopt, false, kH1},          // a prefix up to '-' only
      {port("http"), H2::kUpgrade, false, kH2},
      {port("http"), H2::kDoNotUpgrade, false, kH1},
      {port("http"), H2::kDefault, false, kH1},
      {port("grpc"), H2::kDoNotUpgrade, false, kH2},  // declared HTTP/2 is not downgraded
      {port("http"), std::nullopt, true, kH2},        // gRPC needs HTTP/2
      {port("http"), H2::kDoNotUpgrade, true, kH2},
  };
  for (const auto& c : cases)
    EXPECT_EQ(upstream_protocol(&c.port, c.upgrade, c.grpc), c.want)
        << c.port.name << " / " << c.port.app_protocol << " upgrade "
        << (c.upgrade ? static_cast<int>(*c.upgrade) : -1) << " grpc " << c.grpc;
  EXPECT_EQ(upstream_protocol(nullptr, std::nullopt, false), kH1);
  EXPECT_EQ(upstream_protocol(nullptr, H2::kUpgrade, false), kH2);
  EXPECT_EQ(upstream_protocol(nullptr, std::nullopt, true), kH2);
}

// useClientProtocol: the upstream speaks what the client spoke, whatever the port declares or
// the upgrade policy says; gRPC stays on HTTP/2.
TEST(UpstreamProtocol, UseClientProtocolFollowsTheClient) {
  using H2 = state::HttpSettings::H2Upgrade;
  const auto kH1 = UpstreamProtocol::kHttp1, kH2 = UpstreamProtocol::kHttp2;
  auto http = port("http"), grpc = port("grpc");
  EXPECT_EQ(upstream_protocol(&http, std::nullopt, false, true, true), kH2);
  EXPECT_EQ(upstream_protocol(&http, std::nullopt, false, true, false), kH1);
  EXPECT_EQ(upstream_protocol(&grpc, std::nullopt, false, true, false), kH1);
  EXPECT_EQ(upstream_protocol(&http, H2::kUpgrade, false, true, false), kH1);
  EXPECT_EQ(upstream_protocol(&http, std::nullopt, true, true, false), kH2);
  EXPECT_EQ(upstream_protocol(&http, std::nullopt, false, false, true), kH1)
      << "without the rule an HTTP/2 client does not decide";
}

TEST(UpstreamProtocol, PortsDeclaringHttp) {
  EXPECT_TRUE(routing::port_declares_http(port("http")));
  EXPECT_TRUE(routing::port_declares_http(port("grpc-x")));
  EXPECT_TRUE(routing::port_declares_http(port("x", "grpc-web")));
  EXPECT_FALSE(routing::port_declares_http(port("tcp")));
  EXPECT_FALSE(routing::port_declares_http2(port("http")));
  EXPECT_FALSE(routing::port_declares_http2(port("x", "http")));
  EXPECT_TRUE(routing::port_declares_http2(port("x", "kubernetes.io/h2c")));
}

TEST(UpstreamProtocol, GrpcRequests) {
  auto with_type = [](const char* content_type) {
    Request r{http::verb::post, "/pkg.Svc/Call", 20};
    if (*content_type) r.set(http::field::content_type, content_type);
    return r;
  };
  EXPECT_TRUE(is_grpc_request(with_type("application/grpc")));
  EXPECT_TRUE(is_grpc_request(with_type("Application/GRPC-web")));
  EXPECT_FALSE(is_grpc_request(with_type("application/json")));
  EXPECT_FALSE(is_grpc_request(with_type("")));
}

}  // namespace
}  // namespace zmesh::l7
