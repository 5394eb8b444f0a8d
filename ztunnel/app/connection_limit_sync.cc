#include "app/connection_limit_sync.h"

#include <spdlog/spdlog.h>

#include "routing/http_target.h"
#include "upstream/kernel_connection_limits.h"

namespace zmesh::app {

void sync_connection_limits(bpf::Datapath& datapath, const routing::L7Config& config) {
  const auto& snapshot = *config.snapshot();
  auto limits = upstream::kernel_connection_limits(snapshot);
  std::erase_if(limits, [&](const auto& entry) {
    // Ports handled as HTTP: there maxConnections means what Envoy means, connections from
    // the proxy to the backends, which the L7 upstream pool enforces; counting the app's own
    // connections to the VIP in the kernel would cap the app's concurrency instead.
    return routing::http_target(config, entry.first).has_value();
  });
  auto r = datapath.set_connection_limits(limits);
  if (!r) spdlog::error("bpf: connection limits not updated: {}", r.error().message);
}

}  // namespace zmesh::app
