// Istio-compatible metrics (Prometheus text format). Hot path: a connection gets a
// reference to a per-worker counter cell once, then bumps relaxed atomics; the scrape sums
// the cells of all workers. No lock is shared between workers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace zmesh::telemetry {

// Istio's standard TCP labels (ztunnel's CommonTrafficLabels). Empty -> "unknown".
struct TcpLabels {
  std::string reporter;  // "source" | "destination"
  std::string source_workload, source_workload_namespace, source_principal, source_app,
      source_version, source_canonical_service, source_canonical_revision, source_cluster;
  std::string destination_workload, destination_workload_namespace, destination_principal,
      destination_app, destination_version, destination_service, destination_service_name,
      destination_service_namespace, destination_canonical_service, destination_canonical_revision,
      destination_cluster;
  std::string request_protocol = "tcp";
  std::string connection_security_policy;  // "mutual_tls" | "none" | "unknown"
  std::string response_flags = "-";
};

struct TcpCounters {
  std::atomic<uint64_t> opened{0};
  std::atomic<uint64_t> closed{0};
  std::atomic<uint64_t> sent{0};      // bytes sent by the client side (istio_tcp_sent_bytes_total)
  std::atomic<uint64_t> received{0};  // bytes received by the client side
};

class Metrics {
 public:
  // `shards` = number of workers. `build_tag` is the version shown in istio_build; empty
  // means this build's ZMESH_VERSION.
  explicit Metrics(size_t shards, std::string build_tag = {});
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Stable reference for the life of the Metrics object. Call on worker `shard` only
  // (an out-of-range shard wraps around rather than crashing).
  TcpCounters& tcp(size_t shard, const TcpLabels& labels);

  // Extra text appended to every scrape (e.g. zmesh_bpf_* counters read from maps).
  // Collectors run on the scraping thread and must return complete exposition lines.
  void add_collector(std::function<std::string()> collector);

  std::string render_prometheus() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Prometheus label-value escaping: backslash, double quote and newline.
std::string escape_label_value(const std::string& value);

// `{reporter="source",source_workload="...",...}` in Istio's label order; empty -> "unknown".
std::string render_tcp_labels(const TcpLabels& labels);

}  // namespace zmesh::telemetry
