// The life of an upgraded connection after the upstream's 101: the client gets the 101, each
// side gets what the other sent ahead of the switch, then the two are relayed as bytes until
// both close (a WebSocket through the mesh).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "l7/http_message.h"
#include "l7/upstream_pool.h"
#include "net/relay_stats.h"

namespace zmesh::l7 {

// `client_buffer`: bytes the client sent after its request; `upstream.buffer`: bytes the
// upstream sent after its 101. The totals count what the relay moved, beyond the 101.
boost::asio::awaitable<RelayResult> run_upgrade_tunnel(boost::asio::ip::tcp::socket client,
                                                       boost::beast::flat_buffer& client_buffer,
                                                       Response& switching,
                                                       UpstreamConnection& upstream);

}  // namespace zmesh::l7
