// Outbound to a mesh destination: HTTP/2 CONNECT over mutual TLS to <destination pod IP>:15008
// with the source workload's certificate, through the worker's connection pool; the server
// must prove the destination workload's identity. Then the app's socket is relayed over the
// tunnel.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>

#include "common/result.h"
#include "hbone/stream.h"
#include "transport/connection.h"
#include "transport/labels.h"
#include "transport/pod_netns.h"
#include "transport/proxy_context.h"

namespace zmesh::transport {

// Opens one HBONE CONNECT stream from `pod` to `target` (an endpoint of `destination`, in the
// mesh) through the worker's pool; records the mutual TLS principals in `peers`. Shared by the
// byte relay below and the L7 proxy's upstream connections. `connect_timeout` (the
// DestinationRule's tcp.connectTimeout) bounds the TCP connect of a new pooled connection, the
// part that hangs when the peer never answers.
boost::asio::awaitable<Result<std::shared_ptr<hbone::Stream>>> open_hbone_stream(
    ProxyContext& ctx, WorkerState& worker, std::shared_ptr<const PodNetns> pod,
    const state::Workload& destination, boost::asio::ip::tcp::endpoint target,
    ConnectionPeers& peers, std::chrono::milliseconds connect_timeout = kConnectTimeout);

// `target` is the resolved endpoint (pod ip : port) of `destination`, which is in the mesh.
// `settings` as for dial_and_relay (connect timeout, idle timeout, maximum duration; tcp
// keepalive applies to the pooled connection's socket, shared, so not here).
boost::asio::awaitable<void> tunnel_and_relay(
    ProxyContext& ctx, WorkerState& worker, std::shared_ptr<const PodNetns> pod,
    std::shared_ptr<const state::Workload> destination, boost::asio::ip::tcp::endpoint target,
    boost::asio::ip::tcp::socket client, ConnectionPeers peers,
    std::shared_ptr<const state::Snapshot> snapshot, const upstream::ConnectionSettings* settings);

}  // namespace zmesh::transport
