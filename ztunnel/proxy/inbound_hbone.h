// Inbound HBONE (15008, in the pod's netns): mutual TLS with the pod's certificate, the
// client's chain and trust domain verified; each CONNECT stream is checked (it must target
// this pod, not a mesh port), the app is dialed inside the pod (503 when it refuses) and the
// stream relayed to it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "transport/pod_netns.h"
#include "transport/proxy_context.h"

namespace zmesh::proxy {

boost::asio::awaitable<void> handle_inbound_hbone(transport::ProxyContext& ctx,
                                                  transport::WorkerState& worker,
                                                  std::shared_ptr<const transport::PodNetns> pod,
                                                  boost::asio::ip::tcp::socket socket);

}  // namespace zmesh::proxy
