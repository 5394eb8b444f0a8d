// Outbound (15001): an app's redirected connection. Recover the original destination from
// the BPF map, resolve it (Service VIP -> endpoint, pod IP -> workload), and reach it from
// the app's own pod netns: HBONE (mutual TLS) to a mesh workload, plain TCP otherwise.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "transport/pod_netns.h"
#include "transport/proxy_context.h"

namespace zmesh::proxy {

boost::asio::awaitable<void> handle_outbound(transport::ProxyContext& ctx,
                                             transport::WorkerState& worker,
                                             std::shared_ptr<const transport::PodNetns> pod,
                                             boost::asio::ip::tcp::socket client);

}  // namespace zmesh::proxy
