// HBONE server side: serves HTTP/2 on an accepted TLS connection whose handshake (and peer
// identity check) the caller has already done. Each well-formed CONNECT becomes a Stream
// handed to `on_connect`, which must call respond(); a malformed CONNECT is answered 400
// here and never reaches the handler.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <functional>
#include <memory>

#include "hbone/session_options.h"
#include "hbone/stream.h"

namespace zmesh::hbone {

using TlsSocket = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
using ConnectHandler = std::function<boost::asio::awaitable<void>(std::shared_ptr<Stream>)>;

// Runs until the connection closes (peer GOAWAY/EOF, error, or idle timeout). Handlers run
// as separate coroutines on the socket's executor and may outlive this call. From the call
// on, the session owns the socket's TLS data path (it drives the SSL object directly, see
// tls_channel.h): nothing else may read or write through `socket`.
boost::asio::awaitable<void> serve(std::shared_ptr<TlsSocket> socket, SessionOptions options,
                                   ConnectHandler on_connect);

}  // namespace zmesh::hbone
