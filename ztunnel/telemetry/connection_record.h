// The fields of ztunnel's "connection complete" access log record, with its key names
// ("src.addr", "dst.workload", ...), so tools written for ztunnel's JSON logs read ours.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace zmesh::telemetry {

struct ConnectionRecord {
  std::string direction;  // "outbound" | "inbound"
  std::string src_addr, src_workload, src_namespace, src_identity, src_cluster;
  std::string dst_addr, dst_hbone_addr, dst_service, dst_workload, dst_namespace, dst_identity,
      dst_cluster;
  uint64_t bytes_sent = 0;  // towards the destination
  uint64_t bytes_recv = 0;  // from the destination
  std::chrono::microseconds duration{0};
  std::string error;  // empty on success
};

// Empty strings are left out, as ztunnel does; duration is rendered like "13ms".
nlohmann::json to_json(const ConnectionRecord& record);

}  // namespace zmesh::telemetry
