// Span export off the request path: submit() queues a finished span (never blocks; a full
// queue or no collector drops it, counted), a background thread sends batches to the current
// sink (OTLP over HTTP as protobuf, or Zipkin v2 JSON) with a timeout per batch, so a slow or
// dead collector costs requests nothing. The sink follows the config (set_sink).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "telemetry/span.h"

namespace zmesh::telemetry {

// Where spans go, resolved to an address (the config side resolves provider services).
struct TraceSink {
  enum class Protocol { kOtlpHttp, kZipkin };
  Protocol protocol = Protocol::kOtlpHttp;
  std::string provider;  // the meshConfig provider's name, for logs
  std::string address;   // an IP address literal
  uint16_t port = 0;
  std::string authority;  // the Host header: the provider's service host and port
  std::string path;       // "/v1/traces" (OTLP), "/api/v2/spans" (Zipkin)
  std::vector<std::pair<std::string, std::string>> headers{};
  std::chrono::milliseconds timeout{std::chrono::seconds(3)};
  bool operator==(const TraceSink&) const = default;
};

class TraceExporter {
 public:
  struct Options {
    size_t max_queue = 4096;                  // spans waiting; beyond, new spans are dropped
    size_t max_batch = 512;                   // spans per export request
    std::chrono::milliseconds interval{200};  // a batch leaves at least this often
  };
  explicit TraceExporter(Options options);
  TraceExporter() : TraceExporter(Options{}) {}
  ~TraceExporter();  // stops the thread; spans still queued are dropped (counted)
  TraceExporter(const TraceExporter&) = delete;
  TraceExporter& operator=(const TraceExporter&) = delete;

  // Thread-safe. nullopt: no collector (spans are dropped, counted).
  void set_sink(std::optional<TraceSink> sink);
  // Thread-safe; never blocks on the network.
  void submit(Span span);

  uint64_t exported() const;  // spans a collector accepted (2xx)
  uint64_t dropped() const;   // spans lost: queue full, no sink, send failed or refused
  // Prometheus lines: zmesh_trace_spans_exported_total, zmesh_trace_spans_dropped_total.
  std::string render_prometheus() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zmesh::telemetry
