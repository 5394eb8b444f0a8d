#include "state/tracing_settings.h"

namespace zmesh::state {

TracingSettings tracing_settings(const MeshConfig& mesh) {
  TracingSettings out;
  out.sampling_percent = mesh.default_config.tracing.sampling;
  if (!mesh.enable_tracing) return out;
  for (const auto& name : mesh.default_providers.tracing) {
    const auto* p = mesh.find_provider(name);
    if (p != nullptr && (p->opentelemetry() != nullptr || p->zipkin() != nullptr)) {
      out.report = true;
      out.provider = name;
      break;
    }
  }
  return out;
}

}  // namespace zmesh::state
