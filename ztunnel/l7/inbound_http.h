// The destination's inbound HTTP pipeline: when a pod's workload has AuthorizationPolicies
// that need the request (HTTP attributes, CUSTOM) on a port that speaks HTTP, its ztunnel
// parses the client's connection (an HBONE CONNECT stream on 15008, or plaintext on 15006)
// as HTTP/1.1 or HTTP/2 (h2c, gRPC), decides every request with Istio's full semantics
// (l7/inbound_authz.h) on the newest config, answers a denial itself (403 "RBAC: access
// denied", gRPC PERMISSION_DENIED) with the connection kept, and sends allowed requests to
// the app over its own kept-alive connection (l7/app_link.h). Each request is reported with
// reporter "destination" (metrics and access line), counted per policy, and written to the
// audit log when an AUDIT policy matched or it was denied.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "rbac/connection_view.h"
#include "state/snapshot.h"
#include "transport/labels.h"
#include "transport/pod_netns.h"
#include "transport/proxy_context.h"
#include "transport/upstream_channel.h"

namespace zmesh::l7 {

struct InboundConnection {
  std::shared_ptr<const transport::PodNetns> pod;
  boost::asio::ip::tcp::endpoint app;  // pod ip:port, where the client was going
  rbac::ConnectionView view;           // addresses and the proven source, for authorization
  // The connection's ends for telemetry (reporter "destination"); its pointers are into
  // `snapshot`, which the connection holds.
  transport::ConnectionPeers peers;
  std::shared_ptr<const state::Snapshot> snapshot;
};

// Serves `client` until it closes. `client` is the 15006 socket or the 15008 stream, already
// answered 200.
boost::asio::awaitable<void> serve_inbound_http(transport::ProxyContext& ctx,
                                                transport::WorkerState& worker,
                                                std::unique_ptr<transport::UpstreamChannel> client,
                                                InboundConnection connection);

}  // namespace zmesh::l7
