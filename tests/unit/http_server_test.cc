#include "admin/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

namespace zmesh::admin {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Runs a server on 127.0.0.1:<ephemeral> with an io thread; tears down in order.
class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::map<std::string, Handler> routes;
    routes["/hello"] = [](const Request& r) {
      return Response{200, "text/plain", "hello " + r.method + " q=" + r.query + " b=" + r.body};
    };
    routes["/stats/prometheus"] = [](const Request&) {
      return Response{200, "text/plain; version=0.0.4", "m 1\n"};
    };
    routes["/throws"] = [](const Request&) -> Response { throw std::runtime_error("boom"); };
    server_ = std::make_unique<HttpServer>(
        io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), routes);
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message;
    port_ = server_->local_endpoint().port();
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  tcp::socket connect() {
    tcp::socket s(client_io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    return s;
  }

  http::response<http::string_body> request(tcp::socket& s, http::verb verb,
                                            const std::string& target, std::string body = "") {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "localhost");
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(s, req);
    http::response<http::string_body> res;
    http::read(s, buffer_, res);
    return res;
  }

  // Sends raw bytes, returns everything until the server closes.
  std::string raw_exchange(const std::string& bytes) {
    auto s = connect();
    beast::error_code ec;
    asio::write(s, asio::buffer(bytes), ec);  // the server may answer and close early
    s.shutdown(tcp::socket::shutdown_send, ec);
    std::string out;
    char buf[4096];
    for (;;) {
      size_t n = s.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
    }
    return out;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  asio::io_context client_io_;
  beast::flat_buffer buffer_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};
// Suite names match the file names so `ctest -R http_server` selects them.
using http_server = HttpServerTest;

TEST_F(http_server, GetPostAndKeepAlive) {
  auto s = connect();
  auto r1 = request(s, http::verb::get, "/hello?level=debug&x=1");
  EXPECT_EQ(r1.result_int(), 200);
  EXPECT_EQ(r1.body(), "hello GET q=level=debug&x=1 b=");
  EXPECT_EQ(r1[http::field::content_type], "text/plain");
  EXPECT_TRUE(r1.keep_alive());
  // Same connection again: keep-alive works.
  auto r2 = request(s, http::verb::post, "/hello", "payload");
  EXPECT_EQ(r2.result_int(), 200);
  EXPECT_EQ(r2.body(), "hello POST q= b=payload");
  auto r3 = request(s, http::verb::get, "/stats/prometheus");
  EXPECT_EQ(r3.body(), "m 1\n");
}

TEST_F(http_server, UnknownPathIs404) {
  auto s = connect();
  EXPECT_EQ(request(s, http::verb::get, "/nope").result_int(), 404);
  EXPECT_EQ(request(s, http::verb::get, "/hello/").result_int(), 404);
  EXPECT_EQ(request(s, http::verb::get, "/hello").result_int(), 200);
}

TEST_F(http_server, HandlerExceptionIs500) {
  auto s = connect();
  auto r = request(s, http::verb::get, "/throws");
  EXPECT_EQ(r.result_int(), 500);
  EXPECT_NE(r.body().find("boom"), std::string::npos);
}

TEST_F(http_server, MalformedRequestsGet400AndServerSurvives) {
  EXPECT_EQ(raw_exchange("GARBAGE\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(raw_exchange("GET / HTTP/9.9\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(
      raw_exchange("GET /hello HTTP/1.1\r\nContent-Length: zz\r\n\r\n").rfind("HTTP/1.1 400", 0),
      0u);
  std::string binary(3000, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 7919);
  (void)raw_exchange(binary);
  (void)raw_exchange("GET /hello HTTP/1.1\r\nHost: x\r\n");  // truncated, then closed
  // Oversized header.
  EXPECT_EQ(raw_exchange("GET /hello HTTP/1.1\r\nX: " + std::string(64 << 10, 'a') + "\r\n\r\n")
                .rfind("HTTP/1.1 431", 0),
            0u);
  // Still serving.
  auto s = connect();
  EXPECT_EQ(request(s, http::verb::get, "/hello").result_int(), 200);
}

TEST_F(http_server, ConnectionCloseIsHonoured) {
  std::string out = raw_exchange("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_NE(out.find("hello GET"), std::string::npos);
}

TEST_F(http_server, BindConflictNamesTheAddress) {
  asio::io_context io;
  HttpServer second(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), {});
  auto r = second.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(port_)), std::string::npos)
      << r.error().message;
}

TEST(http_server_query, SplitsAndDecodes) {
  EXPECT_EQ(query_param("level=debug&x=1", "level"), "debug");
  EXPECT_EQ(query_param("level=debug&x=1", "x"), "1");
  EXPECT_EQ(query_param("level=debug&x=1", "y"), "");
  EXPECT_EQ(query_param("a=b%20c+d&flag", "a"), "b c d");
  EXPECT_EQ(query_param("a=%zz%4", "a"), "%zz%4");
}

}  // namespace
}  // namespace zmesh::admin
