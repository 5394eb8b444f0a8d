// Reads the server name of a client's TLS ClientHello without consuming it (MSG_PEEK), so the
// bytes still reach the destination unchanged: for VirtualService tls[] routes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <optional>
#include <string>

namespace zmesh::proxy {

// nullopt when the client sends no TLS, no server name, or nothing within `budget`.
boost::asio::awaitable<std::optional<std::string>> peek_sni(boost::asio::ip::tcp::socket& client,
                                                            std::chrono::milliseconds budget);

}  // namespace zmesh::proxy
