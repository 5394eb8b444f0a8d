// Which requests this proxy traces, and to which provider: Istio's rules over meshConfig
// (enableTracing, defaultProviders.tracing, defaultConfig.tracing.sampling). Pure. Trace
// headers are propagated and x-request-id set whatever this says; it decides whether spans
// are written.
#pragma once

#include <string>

#include "state/mesh_config.h"

namespace zmesh::state {

struct TracingSettings {
  bool report = false;            // spans are written (a tracing provider is configured)
  std::string provider;           // the provider's name ("" when none)
  double sampling_percent = 1.0;  // of requests that arrive without a sampling decision
  bool operator==(const TracingSettings&) const = default;
};

// - enableTracing false: no spans;
// - the first name in defaultProviders.tracing that names an opentelemetry or zipkin provider
//   of extensionProviders is used; none: no spans (Istio's sidecars would fall back to a
//   legacy Zipkin address, zipkin.istio-system:9411; we write nothing rather than guess);
// - sampling: defaultConfig.tracing.sampling percent (Istio's 1% when unset).
TracingSettings tracing_settings(const MeshConfig& mesh);

}  // namespace zmesh::state
