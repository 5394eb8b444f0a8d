// A finished span as the proxies report it: ids, name, kind, times, string attributes and an
// error status. Built by the L7 paths (client span at the source, server span at the
// destination), encoded by telemetry/otlp_proto.h or telemetry/zipkin_json.h.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "telemetry/trace_context.h"

namespace zmesh::telemetry {

enum class SpanKind { kClient, kServer };

struct Span {
  SpanContext context;
  std::string service_name;  // the reporting workload's canonical service: "<app>.<namespace>"
  std::string name;          // Envoy's operation name: "<host>:<port>/*"
  SpanKind kind = SpanKind::kClient;
  int64_t start_unix_ns = 0, end_unix_ns = 0;
  std::vector<std::pair<std::string, std::string>> attributes;  // in the order set
  bool error = false;                                           // Envoy's `error: true` tag
  std::string local_ip;                                         // the reporting workload's
};

}  // namespace zmesh::telemetry
