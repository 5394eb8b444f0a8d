#include "ca/https_post.h"

#include <openssl/err.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "ca/mtls_context.h"
#include "net/resolve.h"
#include "net/step_error.h"

namespace zmesh::ca {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr uint64_t kReplyLimit = 1 << 20;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// The steps are separate coroutines, each with a small frame: GCC 12 warns falsely
// (-Wmismatched-new-delete) about Asio's frame allocator for large coroutine frames.
asio::awaitable<Result<void>> connect(TlsStream& stream, const HttpsTarget& target,
                                      const tcp::resolver::results_type& endpoints) {
  boost::system::error_code ec;
  co_await beast::get_lowest_layer(stream).async_connect(
      endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return step_error("connect", ec);
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return step_error("TLS handshake", ec);
  auto peer = verified_peer(stream.native_handle());
  if (!peer) co_return make_error("server certificate: " + peer.error().message);
  if (peer->id != target.server_id)
    co_return make_error("server is " + peer->id.uri() + ", expected " + target.server_id.uri());
  co_return ok();
}

asio::awaitable<Result<HttpReply>> exchange(TlsStream& stream, const HttpsTarget& target,
                                            std::string& json_body) {
  boost::system::error_code ec;
  http::request<http::string_body> req(http::verb::post, target.path, 11);
  req.set(http::field::host, target.host);
  req.set(http::field::user_agent, "ztunnel");
  req.set(http::field::content_type, "application/json");
  req.keep_alive(false);
  req.body() = std::move(json_body);
  req.prepare_payload();
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return step_error("send", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kReplyLimit);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return step_error("read reply", ec);
  co_return HttpReply{parser.get().result_int(), std::move(parser.get().body())};
}

}  // namespace

asio::awaitable<Result<HttpReply>> https_post(asio::any_io_executor executor,
                                              std::shared_ptr<asio::ssl::context> tls,
                                              HttpsTarget target, std::string json_body,
                                              std::chrono::steady_clock::time_point deadline) {
  auto endpoints = co_await resolve(executor, target.host, target.port, deadline);
  if (!endpoints) co_return endpoints.error();
  auto stream = std::make_unique<TlsStream>(executor, *tls);
  beast::get_lowest_layer(*stream).expires_at(deadline);  // covers every step below
  if (auto r = co_await connect(*stream, target, *endpoints); !r) co_return r.error();
  auto reply = co_await exchange(*stream, target, json_body);
  if (reply) {
    // Best effort: the reply is complete whatever the close does.
    boost::system::error_code ec;
    co_await stream->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return reply;
}

}  // namespace zmesh::ca
