// The L7 side of an outbound connection: when the app dialed a Service port that speaks HTTP
// (declared by the port, or named by a VirtualService with http routes), ztunnel parses the
// connection as HTTP/1.1 and routes each request (route_request.h) instead of relaying bytes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>

#include "l7/route_request.h"
#include "proxy/labels.h"
#include "proxy/pod_netns.h"
#include "proxy/proxy_context.h"

namespace zmesh::l7 {

// The Service port `original` names, when its connections are to be handled as HTTP.
std::optional<L7Target> l7_target(proxy::WorkerState& worker,
                                  const std::shared_ptr<const state::Snapshot>& snapshot,
                                  const boost::asio::ip::tcp::endpoint& original);

// Serves the app's connection: requests in a keep-alive loop until either side closes.
// `peers` describes the client end (source workload and address).
boost::asio::awaitable<void> serve_http(proxy::ProxyContext& ctx, proxy::WorkerState& worker,
                                        std::shared_ptr<const proxy::PodNetns> pod,
                                        boost::asio::ip::tcp::socket client,
                                        proxy::ConnectionPeers peers, L7Target target);

}  // namespace zmesh::l7
