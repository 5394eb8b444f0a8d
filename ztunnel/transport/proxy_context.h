// What connection handlers need from the daemon; owned by the daemon, outlives workers.
#pragma once

#include <cstddef>
#include <memory>
#include <random>
#include <string>

#include "bpf/datapath.h"
#include "hbone/connection_pool.h"
#include "hbone/session_options.h"
#include "identity/secret_manager.h"
#include "routing/worker_routes.h"
#include "state/store.h"
#include "telemetry/access_log.h"
#include "telemetry/metrics.h"
#include "telemetry/trace_exporter.h"
#include "transport/inbound_watch.h"
#include "transport/socket_factory.h"

namespace zmesh::jwt {
class JwksStore;
}  // namespace zmesh::jwt

namespace zmesh::transport {

struct ProxyContext {
  std::string node;
  state::Store& store;
  bpf::Datapath& datapath;
  telemetry::Metrics& metrics;
  telemetry::AccessLog& access_log;
  SocketFactory sockets;
  identity::SecretManager& secrets;
  std::string trust_domain;
  hbone::SessionOptions hbone_options;
  telemetry::AccessLog* audit_log = nullptr;   // --audit-log: authorization audit records
  const jwt::JwksStore* jwks = nullptr;        // RequestAuthentication keys (inline and fetched)
  telemetry::TraceExporter* tracer = nullptr;  // spans of traced requests; null: none written
};

// Per-worker mutable state; touched only by its own worker thread.
struct WorkerState {
  size_t index = 0;
  uint64_t round_robin = 0;
  std::unique_ptr<hbone::ConnectionPool> hbone;  // outbound HBONE connections of this worker
  InboundWatch inbound;          // inbound connections, re-checked when policies change
  routing::WorkerRoutes routes;  // this worker's routing view (configs, destinations, randomness)
  // Trace and request ids: seeded from the OS, so no two workers or daemons share a sequence
  // (the routing randomness is seeded by worker index, for replayable tests).
  upstream::Rng trace_rng{std::random_device{}() * 0x100000001ull ^ std::random_device{}()};
};

}  // namespace zmesh::transport
