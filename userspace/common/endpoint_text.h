// How every log line, error and HBONE authority spells a TCP endpoint: "1.2.3.4:80",
// "[::1]:80"; an IPv4-mapped IPv6 address is shown as the IPv4 address it carries.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

namespace zmesh {

std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace zmesh
