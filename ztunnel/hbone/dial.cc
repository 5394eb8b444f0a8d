#include "hbone/dial.h"

#include <openssl/ssl.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <string_view>

#include "common/endpoint_text.h"

namespace zmesh::hbone::detail {
namespace asio = boost::asio;
using asio::ip::tcp;

asio::awaitable<Result<std::shared_ptr<Session>>> dial_session(
    tcp::endpoint address, const ConnectOptions& options, const SessionOptions& session_options) {
  const std::string where = endpoint_text(address);
  if (!options.dial || !options.tls) co_return make_error("HBONE " + where + ": no dialer or TLS");
  auto socket = co_await options.dial(address);
  if (!socket) co_return make_error("dial " + where + ": " + socket.error().message);

  auto tls = std::make_shared<TlsSocket>(std::move(*socket), *options.tls);
  static constexpr unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_set_alpn_protos(tls->native_handle(), kAlpn, sizeof(kAlpn));

  // A peer that accepts but never answers must not hold the connect forever.
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer deadline(executor, session_options.connect_timeout);
  auto timed_out = std::make_shared<bool>(false);
  deadline.async_wait([tls, timed_out](const boost::system::error_code& ec) {
    if (ec) return;
    *timed_out = true;
    boost::system::error_code ignored;
    tls->lowest_layer().close(ignored);
  });
  boost::system::error_code ec;
  co_await tls->async_handshake(asio::ssl::stream_base::client,
                                asio::redirect_error(asio::use_awaitable, ec));
  deadline.cancel();
  if (*timed_out) co_return make_error("TLS handshake with " + where + ": timed out");
  if (ec) co_return make_error("TLS handshake with " + where + ": " + ec.message());

  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(tls->native_handle(), &alpn, &alpn_length);
  if (std::string_view(reinterpret_cast<const char*>(alpn), alpn ? alpn_length : 0) != "h2")
    co_return make_error("HBONE " + where + ": peer did not select ALPN h2");
  if (options.verify_peer) {
    auto verified = options.verify_peer(tls->native_handle());
    if (!verified) co_return make_error("HBONE " + where + ": " + verified.error().message);
  }

  auto session = std::make_shared<Session>(tls, Session::Role::kClient, session_options);
  session->hold(options.tls);
  co_return session;
}

}  // namespace zmesh::hbone::detail
