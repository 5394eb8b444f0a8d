// DestinationRule connectionPool.tcp.maxConnections as the kernel enforces it: per Service
// VIP:port, counted across every pod of the node at connect() (bpf/lib/conn_limit.h).
// Envoy counts per client proxy; ztunnel is the node's one proxy, so "per node" is its
// equivalent. Only what is known at connect time can be counted there: the Service and its
// port. A subset's own connectionPool needs the route (L7) and stays with ztunnel.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <map>

#include "state/snapshot.h"

namespace zmesh::upstream {

// Every VIP:port of every Service whose DestinationRule (service_destination_rule) limits
// that port (the rule's trafficPolicy, or its portLevelSettings entry for the port, resolved
// by effective_policy with no subset). Unlimited ports are left out.
std::map<boost::asio::ip::tcp::endpoint, uint32_t> kernel_connection_limits(
    const state::Snapshot& snapshot);

}  // namespace zmesh::upstream
