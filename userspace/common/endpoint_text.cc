#include "common/endpoint_text.h"

namespace zmesh {

std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint) {
  namespace ip = boost::asio::ip;
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  const std::string port = std::to_string(endpoint.port());
  return address.is_v6() ? "[" + address.to_string() + "]:" + port
                         : address.to_string() + ":" + port;
}

}  // namespace zmesh
