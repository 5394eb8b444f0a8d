// Istio-compatible metrics (Prometheus text format). Hot path: a connection gets a
// reference to a per-worker counter cell once, then bumps relaxed atomics; the scrape sums
// the cells of all workers. No lock is shared between workers.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
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

// Istio's request labels: the TCP ones plus the response (request_protocol "http").
struct HttpLabels {
  TcpLabels common;
  std::string response_code;         // "200"
  std::string grpc_response_status;  // "" for non-gRPC
};

// A Prometheus histogram cell: per-bucket counts (not cumulative; the scrape sums them),
// a sum and a count, all relaxed atomics bumped by one worker.
template <size_t N>
struct HistogramCell {
  std::array<std::atomic<uint64_t>, N + 1> buckets{};  // last: above the largest bound (+Inf)
  std::atomic<uint64_t> sum{0};                        // in the family's unit (ms or bytes)
  std::atomic<uint64_t> count{0};
};

// Istio's default buckets: durations in ms, sizes in bytes (stats filter defaults).
inline constexpr std::array<double, 19> kDurationBucketsMs = {
    0.5,  1,    5,     10,    25,    50,     100,    250,     500,    1000,
    2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000};
inline constexpr std::array<double, 10> kSizeBuckets = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

struct HttpCounters {
  std::atomic<uint64_t> requests{0};
  HistogramCell<kDurationBucketsMs.size()> duration_ms;
  HistogramCell<kSizeBuckets.size()> request_bytes;
  HistogramCell<kSizeBuckets.size()> response_bytes;

  // One finished request. Duration is observed in microseconds and summed in ms (rounded).
  void record(std::chrono::microseconds duration, uint64_t request_bytes, uint64_t response_bytes);
};

// AuthorizationPolicy decisions (zmesh_authorization_decisions_total): where it was made
// ("l4": a connection, "l7": a request), what it was ("allowed", "denied", "dry_run_denied",
// "audited") and the policy that decided ("ns/name"; "" when none did: an allow for lack of
// ALLOW policies, or a deny because no ALLOW matched).
struct AuthzLabels {
  std::string layer, decision, policy;
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
  // The same for HTTP requests (istio_requests_total and the request histograms). Callers on
  // the per-request path cache the reference by label set so they skip the shard's mutex.
  HttpCounters& http(size_t shard, const HttpLabels& labels);
  // One AuthorizationPolicy decision counter (call on worker `shard`).
  std::atomic<uint64_t>& authz(size_t shard, const AuthzLabels& labels);

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
// The request families' labels: Istio's order with response_code and grpc_response_status.
std::string render_http_labels(const HttpLabels& labels);

}  // namespace zmesh::telemetry
