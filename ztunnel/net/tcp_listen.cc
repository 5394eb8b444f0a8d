#include "net/tcp_listen.h"

#include "common/endpoint_text.h"

namespace zmesh {

Result<void> listen_tcp(boost::asio::ip::tcp::acceptor& acceptor,
                        const boost::asio::ip::tcp::endpoint& at) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  auto fail = [&](const char* step) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return make_error("cannot listen on " + endpoint_text(at) + ": " + step + ": " + ec.message());
  };
  if (acceptor.open(at.protocol(), ec)) return fail("socket");
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec)) return fail("SO_REUSEADDR");
  if (acceptor.bind(at, ec)) return fail("bind");
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec)) return fail("listen");
  return ok();
}

}  // namespace zmesh
