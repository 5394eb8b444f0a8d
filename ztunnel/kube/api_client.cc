#include "kube/api_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <type_traits>
#include <vector>

#include "kube/tls_context.h"
#include "net/resolve.h"
#include "net/step_error.h"

namespace zmesh::kube {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using TcpStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// A whole reply (a LIST page of 500 large objects is a few MiB) is refused past this.
constexpr size_t kReplyLimit = 256u << 20;
// One watch event line: far above any real object, low enough to stop a runaway stream.
constexpr size_t kLineLimit = 64u << 20;

// One request and its reply on one connection. Steps are separate coroutines with small
// frames (GCC 12 warns falsely about Asio's frame allocator for large ones); the buffers
// live here, on the heap.
template <typename Stream>
class Exchange final : public LineReader {
 public:
  template <typename... Args>
  explicit Exchange(Args&&... args) : stream_(std::forward<Args>(args)...) {
    // Bounded per line (watch) or in total (read_all) instead. Not boost::none: Beast 1.74
    // compares the length against the optional, and any length is "greater" than none.
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
  }

  asio::awaitable<Result<void>> connect(const tcp::resolver::results_type& endpoints,
                                        const ServerUrl& url, Clock::time_point deadline) {
    beast::get_lowest_layer(stream_).expires_at(deadline);  // covers every later step
    boost::system::error_code ec;
    co_await beast::get_lowest_layer(stream_).async_connect(
        endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return step_error("connect", ec);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      if (auto r = verify_server_name(stream_.native_handle(), url.host); !r) co_return r;
      co_await stream_.async_handshake(asio::ssl::stream_base::client,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return step_error("TLS handshake", ec);
    }
    co_return ok();
  }

  asio::awaitable<Result<void>> send(const std::string& target, const ServerUrl& url,
                                     const std::string& authorization) {
    http::request<http::empty_body> req(http::verb::get, target, 11);
    req.set(http::field::host, url.host);
    req.set(http::field::user_agent, "ztunnel/" ZMESH_VERSION);
    req.set(http::field::accept, "application/json");
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
    req.keep_alive(false);
    boost::system::error_code ec;
    co_await http::async_write(stream_, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return step_error("send", ec);
    co_await http::async_read_header(stream_, buffer_, parser_,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return step_error("read reply", ec);
    co_return ok();
  }

  HttpResponse head() const {
    HttpResponse r;
    const auto& msg = parser_.get();
    r.status = msg.result_int();
    if (auto it = msg.find(http::field::retry_after); it != msg.end())
      r.retry_after = std::string(it->value());
    return r;
  }

  // Appends what the next read brings to `out`.
  asio::awaitable<Result<void>> read_some(std::string& out) {
    if (parser_.is_done()) co_return ok();
    parser_.get().body().data = chunk_.data();
    parser_.get().body().size = chunk_.size();
    boost::system::error_code ec;
    co_await http::async_read_some(stream_, buffer_, parser_,
                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return step_error("read body", ec);
    out.append(chunk_.data(), chunk_.size() - parser_.get().body().size);
    co_return ok();
  }

  asio::awaitable<Result<std::string>> read_all() {
    std::string body;
    while (!parser_.is_done()) {
      if (auto r = co_await read_some(body); !r) co_return r.error();
      if (body.size() > kReplyLimit) co_return make_error("reply larger than 256 MiB");
    }
    co_return body;
  }

  asio::awaitable<Result<std::optional<std::string>>> next_line() override {
    for (;;) {
      auto newline = pending_.find('\n', scanned_);
      if (newline != std::string::npos) {
        std::string line = pending_.substr(0, newline);
        pending_.erase(0, newline + 1);
        scanned_ = 0;
        co_return std::optional<std::string>(std::move(line));
      }
      scanned_ = pending_.size();
      if (parser_.is_done()) {
        if (pending_.empty()) co_return std::optional<std::string>();
        std::string last = std::move(pending_);  // a final line without '\n'
        pending_.clear();
        scanned_ = 0;
        co_return std::optional<std::string>(std::move(last));
      }
      if (pending_.size() > kLineLimit) co_return make_error("watch event larger than 64 MiB");
      if (auto r = co_await read_some(pending_); !r) co_return r.error();
    }
  }

 private:
  Stream stream_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
  std::vector<char> chunk_ = std::vector<char>(64 << 10);
  std::string pending_;  // body bytes not yet returned as lines
  size_t scanned_ = 0;   // pending_[0, scanned_) holds no '\n'
};

template <typename Stream>
std::unique_ptr<Exchange<Stream>> make_exchange(asio::any_io_executor executor,
                                                asio::ssl::context* tls) {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    return std::make_unique<Exchange<Stream>>(executor, *tls);
  } else {
    (void)tls;
    return std::make_unique<Exchange<Stream>>(executor);
  }
}

template <typename Stream>
asio::awaitable<Result<std::unique_ptr<Exchange<Stream>>>> open(
    asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls, const ServerUrl& url,
    const std::string& target, const std::string& authorization, Clock::time_point deadline) {
  auto endpoints = co_await resolve(executor, url.host, url.port, deadline);
  if (!endpoints) co_return endpoints.error();
  auto exchange = make_exchange<Stream>(executor, tls.get());
  if (auto r = co_await exchange->connect(*endpoints, url, deadline); !r) co_return r.error();
  if (auto r = co_await exchange->send(target, url, authorization); !r) co_return r.error();
  co_return std::move(exchange);
}

template <typename Stream>
asio::awaitable<Result<HttpResponse>> get_with(asio::any_io_executor executor,
                                               std::shared_ptr<asio::ssl::context> tls,
                                               const ServerUrl& url, const std::string& target,
                                               const std::string& authorization,
                                               Clock::time_point deadline) {
  auto exchange = co_await open<Stream>(executor, tls, url, target, authorization, deadline);
  if (!exchange) co_return exchange.error();
  HttpResponse reply = (*exchange)->head();
  auto body = co_await (*exchange)->read_all();
  if (!body) co_return body.error();
  reply.body = std::move(*body);
  co_return reply;
}

template <typename Stream>
asio::awaitable<Result<StreamReply>> stream_with(asio::any_io_executor executor,
                                                 std::shared_ptr<asio::ssl::context> tls,
                                                 const ServerUrl& url, const std::string& target,
                                                 const std::string& authorization,
                                                 Clock::time_point deadline) {
  auto exchange = co_await open<Stream>(executor, tls, url, target, authorization, deadline);
  if (!exchange) co_return exchange.error();
  StreamReply reply;
  reply.head = (*exchange)->head();
  if (reply.head.status == 200) {
    reply.lines = std::move(*exchange);
    co_return reply;
  }
  auto body = co_await (*exchange)->read_all();
  if (!body) co_return body.error();
  reply.head.body = std::move(*body);
  co_return reply;
}

}  // namespace

Result<std::shared_ptr<ApiClient>> ApiClient::create(asio::any_io_executor executor,
                                                     const Credentials& credentials) {
  auto url = parse_server_url(credentials.server);
  if (!url) return url.error();
  std::shared_ptr<asio::ssl::context> tls;
  if (url->tls) {
    auto ctx = make_tls_context(credentials);
    if (!ctx) return make_error(credentials.origin + ": " + ctx.error().message);
    tls = std::move(*ctx);
  }
  return std::shared_ptr<ApiClient>(
      new ApiClient(executor, std::move(*url), credentials.server, std::move(tls),
                    BearerToken(credentials.token, credentials.token_file)));
}

ApiClient::ApiClient(asio::any_io_executor executor, ServerUrl url, std::string server,
                     std::shared_ptr<asio::ssl::context> tls, BearerToken token)
    : executor_(std::move(executor)),
      url_(std::move(url)),
      server_(std::move(server)),
      tls_(std::move(tls)),
      token_(std::move(token)) {}

std::string ApiClient::authorization() {
  const std::string& token = token_.current();
  return token.empty() ? std::string() : "Bearer " + token;
}

void ApiClient::saw_status(unsigned status) {
  if (status == 401) token_.invalidate();
}

asio::awaitable<Result<HttpResponse>> ApiClient::get(std::string path,
                                                     std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string target = url_.base_path + path;
  // Not `tls_ ? co_await .. : co_await ..`: GCC 12 miscompiles co_await in ?:.
  std::string auth = authorization();
  Result<HttpResponse> reply = make_error("");
  if (tls_) {
    reply = co_await get_with<TlsStream>(executor_, tls_, url_, target, auth, deadline);
  } else {
    reply = co_await get_with<TcpStream>(executor_, tls_, url_, target, auth, deadline);
  }
  if (reply) saw_status(reply->status);
  co_return reply;
}

asio::awaitable<Result<StreamReply>> ApiClient::stream(std::string path,
                                                       std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string target = url_.base_path + path;
  // Not `tls_ ? co_await .. : co_await ..`: GCC 12 miscompiles co_await in ?:.
  std::string auth = authorization();
  Result<StreamReply> reply = make_error("");
  if (tls_) {
    reply = co_await stream_with<TlsStream>(executor_, tls_, url_, target, auth, deadline);
  } else {
    reply = co_await stream_with<TcpStream>(executor_, tls_, url_, target, auth, deadline);
  }
  if (reply) saw_status(reply->head.status);
  co_return reply;
}

}  // namespace zmesh::kube
