// Istio metric labels and access-log fields for a proxied connection.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "state/snapshot.h"
#include "telemetry/metrics.h"

namespace zmesh::transport {

// Everything known about one connection's two ends.
struct ConnectionPeers {
  std::string reporter;   // "source" | "destination"
  std::string direction;  // "outbound" | "inbound"
  const state::Workload* source = nullptr;
  const state::Workload* destination = nullptr;
  const state::ServiceInfo* service = nullptr;
  std::string src_addr, dst_addr;
  std::string security_policy = "none";  // "mutual_tls" once both ends proved identities
  std::string source_principal, destination_principal;  // SPIFFE ids under mutual TLS
};

telemetry::TcpLabels make_tcp_labels(const ConnectionPeers& peers);

// ztunnel-style "connection complete" record.
nlohmann::json make_access_record(const ConnectionPeers& peers, uint64_t bytes_sent,
                                  uint64_t bytes_recv, std::chrono::microseconds duration,
                                  const std::string& error);

}  // namespace zmesh::transport
