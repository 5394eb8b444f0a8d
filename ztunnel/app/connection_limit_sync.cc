#include "app/connection_limit_sync.h"

#include <spdlog/spdlog.h>

#include "upstream/kernel_connection_limits.h"

namespace zmesh::app {

void sync_connection_limits(bpf::Datapath& datapath, const state::Snapshot& snapshot) {
  auto r = datapath.set_connection_limits(upstream::kernel_connection_limits(snapshot));
  if (!r) spdlog::error("bpf: connection limits not updated: {}", r.error().message);
}

}  // namespace zmesh::app
