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
#include "routing/http_target.h"
#include "transport/labels.h"
#include "transport/pod_netns.h"
#include "transport/proxy_context.h"

namespace zmesh::l7 {

// Serves the app's connection until either side closes: HTTP/1.1 requests in a keep-alive
// loop, or HTTP/2 streams concurrently (h2_server_session.h).
// `peers` describes the client end (source workload and address).
boost::asio::awaitable<void> serve_http(transport::ProxyContext& ctx,
                                        transport::WorkerState& worker,
                                        std::shared_ptr<const transport::PodNetns> pod,
                                        boost::asio::ip::tcp::socket client,
                                        transport::ConnectionPeers peers, routing::L7Target target);

}  // namespace zmesh::l7
