// The kernel's connection limits (DestinationRule connectionPool.tcp.maxConnections per Service
// VIP:port, see bpf/lib/conn_limit.h): reading them with their live counts, and bringing the
// limits map to a wanted state without ever writing a count.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "bpf/datapath.h"
#include "common/result.h"

namespace zmesh::bpf {

// Joins zmesh_conn_limits with zmesh_conn_counts. A destination whose limit was removed while
// connections still hold slots is listed with max_connections 0 until they close.
std::vector<ConnectionLimit> read_connection_limits(int limits_fd, int counts_fd);

// Upserts every wanted limit whose value differs, deletes the others, and deletes counts that
// have no limit and no active connection. Counts of kept destinations are never touched, so a
// changed limit applies to the connections already open. `changes` (optional) gets one line
// per write, for the log.
Result<void> sync_connection_limits(int limits_fd, int counts_fd,
                                    const std::map<Endpoint, uint32_t>& wanted,
                                    std::vector<std::string>* changes = nullptr);

}  // namespace zmesh::bpf
