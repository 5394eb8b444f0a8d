// What connection handlers need from the daemon; owned by the daemon, outlives workers.
#pragma once

#include <cstddef>
#include <string>

#include "bpf/datapath.h"
#include "proxy/socket_factory.h"
#include "state/store.h"
#include "telemetry/access_log.h"
#include "telemetry/metrics.h"

namespace zmesh::proxy {

struct ProxyContext {
  std::string node;
  state::Store& store;
  bpf::Datapath& datapath;
  telemetry::Metrics& metrics;
  telemetry::AccessLog& access_log;
  SocketFactory sockets;
};

// Per-worker mutable state; touched only by its own worker thread.
struct WorkerState {
  size_t index = 0;
  uint64_t round_robin = 0;
};

}  // namespace zmesh::proxy
