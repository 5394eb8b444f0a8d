#include "admin/http_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <set>
#include <utility>

#include "net/accept_loop.h"
#include "net/tcp_listen.h"

namespace zmesh::admin {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// An idle keep-alive client must not hold a connection (and an fd) forever.
constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr auto kWriteTimeout = std::chrono::seconds(10);
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr uint64_t kBodyLimit = 1 << 20;
constexpr uint32_t kHeaderLimit = 16 << 10;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

http::response<http::string_body> make_response(const Response& r, unsigned version,
                                                bool keep_alive) {
  http::response<http::string_body> res;
  res.version(version);
  res.result(r.status >= 100 && r.status <= 999 ? static_cast<unsigned>(r.status) : 500u);
  res.set(http::field::server, "ztunnel");
  res.set(http::field::content_type, r.content_type);
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// Parse errors get an answer; transport errors and a clean close just end the session.
bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

int status_for_parse_error(const beast::error_code& ec) {
  if (ec == http::error::body_limit) return 413;
  if (ec == http::error::header_limit) return 431;
  return 400;
}

}  // namespace

std::string query_param(const std::string& query, const std::string& key) {
  std::string_view q(query);
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    size_t eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) != key) continue;
    return eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1));
  }
  return {};
}

struct HttpServer::Impl {
  Impl(asio::io_context& io, tcp::endpoint listen, std::map<std::string, Handler> routes)
      : io(io), listen(listen), routes(std::move(routes)), acceptor(io) {}

  asio::io_context& io;
  tcp::endpoint listen;
  std::map<std::string, Handler> routes;
  tcp::acceptor acceptor;
  std::set<beast::tcp_stream*> sessions;  // closed by ~HttpServer
  bool stopped = false;

  Response dispatch(const http::request<http::string_body>& req) {
    std::string_view target(req.target().data(), req.target().size());
    size_t q = target.find('?');
    Request r{std::string(req.method_string().data(), req.method_string().size()),
              std::string(target.substr(0, q)),
              q == std::string_view::npos ? std::string{} : std::string(target.substr(q + 1)),
              req.body()};
    auto it = routes.find(r.path);
    if (it == routes.end()) return Response{404, "text/plain; charset=utf-8", "not found\n"};
    try {
      return it->second(r);
    } catch (const std::exception& e) {
      return Response{500, "text/plain; charset=utf-8", std::string("error: ") + e.what() + "\n"};
    }
  }
};

namespace {

// Keeps the session registered for the server's destructor while the coroutine runs.
class SessionRegistration {
 public:
  SessionRegistration(std::set<beast::tcp_stream*>& set, beast::tcp_stream* s) : set_(set), s_(s) {
    set_.insert(s_);
  }
  ~SessionRegistration() { set_.erase(s_); }
  SessionRegistration(const SessionRegistration&) = delete;
  SessionRegistration& operator=(const SessionRegistration&) = delete;

 private:
  std::set<beast::tcp_stream*>& set_;
  beast::tcp_stream* s_;
};

template <typename Impl>
asio::awaitable<void> serve(std::shared_ptr<Impl> self, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  SessionRegistration registration(self->sessions, &stream);
  beast::flat_buffer buffer;
  beast::error_code ec;
  while (!self->stopped) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    parser.header_limit(kHeaderLimit);
    stream.expires_after(kIdleTimeout);
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (self->stopped) break;
    if (ec) {
      if (is_parse_error(ec)) {
        // The framing is lost after a parse error: answer once, then close.
        auto res = make_response(Response{status_for_parse_error(ec), "text/plain; charset=utf-8",
                                          "bad request: " + ec.message() + "\n"},
                                 11, false);
        stream.expires_after(kWriteTimeout);
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        // Lingering close: closing with unread input would send a RST that can destroy
        // the answer before the client reads it, so drain (briefly, boundedly) first.
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream.expires_after(kLingerTimeout);
        char sink[4096];
        for (size_t drained = 0; !ec && drained < kBodyLimit;)
          drained += co_await stream.async_read_some(asio::buffer(sink),
                                                     asio::redirect_error(asio::use_awaitable, ec));
      }
      break;
    }
    const auto& req = parser.get();
    auto res = make_response(self->dispatch(req), req.version(), req.keep_alive());
    stream.expires_after(kWriteTimeout);
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

template <typename Impl>
asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
  auto on_accept = [self](tcp::socket socket) {
    if (!self->stopped) asio::co_spawn(self->io, serve(self, std::move(socket)), asio::detached);
  };
  co_await zmesh::accept_loop(self->acceptor, on_accept);
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, tcp::endpoint listen,
                       std::map<std::string, Handler> routes)
    : impl_(std::make_shared<Impl>(io, listen, std::move(routes))) {}

HttpServer::~HttpServer() {
  impl_->stopped = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  for (auto* s : impl_->sessions) s->socket().close(ec);
  // Coroutines still suspended keep Impl alive, but must not call into handlers whose
  // captures may be gone.
  impl_->routes.clear();
}

Result<void> HttpServer::start() {
  if (auto listening = listen_tcp(impl_->acceptor, impl_->listen); !listening) return listening;
  asio::co_spawn(impl_->io, accept_loop(impl_), asio::detached);
  return ok();
}

tcp::endpoint HttpServer::local_endpoint() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? impl_->listen : ep;
}

}  // namespace zmesh::admin
