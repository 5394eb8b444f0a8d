// Where this daemon's spans go: the tracing provider meshConfig names (state::TracingSettings),
// resolved through our own registry as Istio resolves a provider's `service`
// ("[<namespace>/]<hostname>", or an IP address): a Service's ready endpoint on the provider's
// port (its targetPort), the daemon dialing it directly. Kept in step with each snapshot.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "state/snapshot.h"
#include "telemetry/trace_exporter.h"

namespace zmesh::app {

// nullopt: no provider takes spans (tracing off, none configured). An error names the
// provider and why it cannot be reached (unknown service, no ready endpoint, OTLP over gRPC).
Result<std::optional<telemetry::TraceSink>> resolve_trace_sink(const state::Snapshot& snapshot);

// Sets the exporter's sink on each snapshot; logs a changed error once. Control thread.
class TraceSinkSync {
 public:
  explicit TraceSinkSync(telemetry::TraceExporter& exporter) : exporter_(exporter) {}
  void on_snapshot(const state::Snapshot& snapshot);

 private:
  telemetry::TraceExporter& exporter_;
  std::string last_error_;
};

}  // namespace zmesh::app
