// Outbound to a mesh destination: HTTP/2 CONNECT over mutual TLS to <destination pod IP>:15008
// with the source workload's certificate, through the worker's connection pool; the server
// must prove the destination workload's identity. Then the app's socket is relayed over the
// tunnel.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "proxy/labels.h"
#include "proxy/pod_netns.h"
#include "proxy/proxy_context.h"

namespace zmesh::proxy {

// `target` is the resolved endpoint (pod ip : port) of `destination`, which is in the mesh.
boost::asio::awaitable<void> tunnel_and_relay(ProxyContext& ctx, WorkerState& worker,
                                              std::shared_ptr<const PodNetns> pod,
                                              const state::Workload& destination,
                                              boost::asio::ip::tcp::endpoint target,
                                              boost::asio::ip::tcp::socket client,
                                              ConnectionPeers peers,
                                              std::shared_ptr<const state::Snapshot> snapshot);

}  // namespace zmesh::proxy
