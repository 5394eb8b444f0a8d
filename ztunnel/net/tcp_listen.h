// Opens, binds (SO_REUSEADDR) and listens a TCP acceptor in one step, for the daemon's own
// HTTP servers (admin, metrics, CA service); on failure the acceptor is closed again and the
// error names the address and the step that failed.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "common/result.h"

namespace zmesh {

Result<void> listen_tcp(boost::asio::ip::tcp::acceptor& acceptor,
                        const boost::asio::ip::tcp::endpoint& at);

}  // namespace zmesh
