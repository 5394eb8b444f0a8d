#include "app/http_get.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>

#include "net/resolve.h"
#include "net/step_error.h"

namespace zmesh::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr uint64_t kBodyLimit = 4 << 20;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

bool is_ip(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// SNI for names (never for IP addresses), and the certificate must name the host: a DNS SAN
// for a name, an IP SAN for an address.
Result<void> expect_host(TlsStream& stream, const std::string& host) {
  SSL* ssl = stream.native_handle();
  if (is_ip(host)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1)
      return make_error("TLS: cannot check IP " + host);
    return ok();
  }
  if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1 || SSL_set1_host(ssl, host.c_str()) != 1)
    return make_error("TLS: cannot check host " + host);
  return ok();
}

// Host: the host (IPv6 in brackets), with the port unless it is the scheme's default.
std::string host_header(const Url& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != (url.https ? "443" : "80")) host += ":" + url.port;
  return host;
}

// The steps are separate coroutines, each with a small frame (see ca/https_post.cc: GCC 12's
// false -Wmismatched-new-delete on large coroutine frames).
template <typename Stream>
asio::awaitable<Result<HttpGetReply>> exchange(Stream& stream, const Url& url) {
  boost::system::error_code ec;
  http::request<http::empty_body> req(http::verb::get, url.target, 11);
  req.set(http::field::host, host_header(url));
  req.set(http::field::user_agent, "ztunnel");
  req.set(http::field::accept, "application/json");
  req.keep_alive(false);
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return step_error("send", ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return step_error("read reply", ec);
  co_return HttpGetReply{parser.get().result_int(), std::move(parser.get().body())};
}

asio::awaitable<Result<HttpGetReply>> get_plain(asio::any_io_executor executor, const Url& url,
                                                const tcp::resolver::results_type& endpoints,
                                                std::chrono::steady_clock::time_point deadline) {
  beast::tcp_stream stream(executor);
  stream.expires_at(deadline);
  boost::system::error_code ec;
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return step_error("connect", ec);
  co_return co_await exchange(stream, url);
}

asio::awaitable<Result<void>> handshake(TlsStream& stream,
                                        const tcp::resolver::results_type& endpoints) {
  boost::system::error_code ec;
  co_await beast::get_lowest_layer(stream).async_connect(
      endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return step_error("connect", ec);
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    long verify = SSL_get_verify_result(stream.native_handle());
    if (verify != X509_V_OK)
      co_return make_error(std::string("TLS handshake: server certificate: ") +
                           X509_verify_cert_error_string(verify));
    co_return step_error("TLS handshake", ec);
  }
  co_return ok();
}

asio::awaitable<Result<HttpGetReply>> get_tls(asio::any_io_executor executor,
                                              std::shared_ptr<asio::ssl::context> tls,
                                              const Url& url,
                                              const tcp::resolver::results_type& endpoints,
                                              std::chrono::steady_clock::time_point deadline) {
  auto stream = std::make_unique<TlsStream>(executor, *tls);
  beast::get_lowest_layer(*stream).expires_at(deadline);  // covers every step below
  if (auto r = expect_host(*stream, url.host); !r) co_return r.error();
  if (auto r = co_await handshake(*stream, endpoints); !r) co_return r.error();
  auto reply = co_await exchange(*stream, url);
  if (reply) {
    boost::system::error_code ec;  // best effort: the reply is complete
    co_await stream->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return reply;
}

}  // namespace

Result<Url> parse_url(std::string_view text) {
  Url url;
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    url.https = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return make_error("not an http(s) URL: " + std::string(text));
  }
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    url.target = std::string(rest.substr(slash));
    if (url.target.front() == '?') url.target.insert(0, "/");
  }
  if (authority.find('@') != std::string_view::npos)
    return make_error("URL with user info: " + std::string(text));
  std::string_view port;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return make_error("bad IPv6 host in " + std::string(text));
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return make_error("bad host in " + std::string(text));
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    url.host = std::string(authority.substr(0, colon));
    port = authority.substr(colon + 1);
  } else {
    url.host = std::string(authority);
  }
  if (url.host.empty()) return make_error("no host in " + std::string(text));
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      return make_error("bad port in " + std::string(text));
  }
  url.port = port.empty() ? (url.https ? "443" : "80") : std::string(port);
  return url;
}

asio::awaitable<Result<HttpGetReply>> http_get(asio::any_io_executor executor,
                                               std::shared_ptr<asio::ssl::context> tls, Url url,
                                               std::chrono::steady_clock::time_point deadline) {
  auto endpoints = co_await resolve(executor, url.host, url.port, deadline);
  if (!endpoints) co_return endpoints.error();
  if (!url.https) co_return co_await get_plain(executor, url, *endpoints, deadline);
  co_return co_await get_tls(executor, std::move(tls), url, *endpoints, deadline);
}

}  // namespace zmesh::app
