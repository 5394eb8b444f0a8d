// The L7 side of an outbound connection: when the app dialed a Service port that speaks HTTP
// (declared by the port, or named by a VirtualService with http routes), ztunnel parses the
// connection as HTTP and routes each request (route_request.h) instead of relaying bytes.
// HTTP/1.1, or HTTP/2 when the client opens with the HTTP/2 preface (h2c with prior knowledge,
// as gRPC does; `Upgrade: h2c` is not offered, as Envoy does not by default).
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

// Serves the app's connection until either side closes: HTTP/1.1 requests in a keep-alive
// loop, or HTTP/2 streams concurrently (h2_server_session.h).
// `peers` describes the client end (source workload and address).
boost::asio::awaitable<void> serve_http(proxy::ProxyContext& ctx, proxy::WorkerState& worker,
                                        std::shared_ptr<const proxy::PodNetns> pod,
                                        boost::asio::ip::tcp::socket client,
                                        proxy::ConnectionPeers peers, L7Target target);

}  // namespace zmesh::l7
