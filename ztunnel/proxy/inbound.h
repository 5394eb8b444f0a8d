// Inbound plaintext (15006): a connection steered here by sk_lookup. Its local address is
// the original destination (pod ip:port); deliver it to the app inside the same pod, unless
// PeerAuthentication makes that workload port STRICT (then it is reset).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "transport/pod_netns.h"
#include "transport/proxy_context.h"

namespace zmesh::proxy {

boost::asio::awaitable<void> handle_inbound(transport::ProxyContext& ctx,
                                            transport::WorkerState& worker,
                                            std::shared_ptr<const transport::PodNetns> pod,
                                            boost::asio::ip::tcp::socket client);

}  // namespace zmesh::proxy
