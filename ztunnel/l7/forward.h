// Sends one routed request to its destination as Envoy's router does: an endpoint from the
// balancer, a pooled or new upstream connection, the route's timeout and per-try timeout,
// retries under the effective policy (another endpoint when there is one, jittered backoff),
// the circuit breaker's limits, and every result fed to outlier detection.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "l7/http_message.h"
#include "l7/upstream_protocol.h"
#include "l7/worker_cache.h"
#include "route/retry_policy.h"
#include "routing/destination.h"
#include "transport/pod_netns.h"
#include "transport/proxy_context.h"

namespace zmesh::l7 {

struct ForwardRequest {
  std::string wire;  // the serialized request, re-sent as is by each retry
  // The routed request itself (for an HTTP/2 upstream, which does not use `wire`); owned by
  // the caller and alive until forward() returns.
  const Request* request = nullptr;
  UpstreamProtocol protocol = UpstreamProtocol::kHttp1;  // decided once, for every attempt
  bool upgrade = false;          // a WebSocket upgrade: a 101 hands the connection over as a tunnel
  std::optional<uint64_t> hash;  // consistent-hash key (upstream::request_hash), if any
  boost::asio::ip::address original;  // the address the app dialed (PASSTHROUGH)
  bool head = false;
  std::optional<route::RetryPolicy> retry;           // nullopt: a single attempt
  std::optional<std::chrono::milliseconds> timeout;  // the route timeout, nullopt: none
};

struct ForwardResult {
  std::optional<Response> response;  // nullopt: answer `status` locally
  uint32_t status = 0;
  std::string flags;  // Envoy response flags ("UF,URX"), empty when none
  std::string error;  // why there is no response, for the access log
  uint32_t attempts = 0;
  // The endpoint that answered (or was tried last), for telemetry.
  std::shared_ptr<const state::Workload> workload;
  std::string upstream_addr;
  std::string security_policy = "none", source_principal, destination_principal;
  // After a 101 to an upgrade: the upstream connection, now the tunnel's (its buffer may hold
  // the upstream's first tunnelled bytes).
  std::unique_ptr<UpstreamConnection> tunnel;
};

boost::asio::awaitable<ForwardResult> forward(transport::ProxyContext& ctx,
                                              transport::WorkerState& worker, WorkerCache& cache,
                                              std::shared_ptr<const transport::PodNetns> pod,
                                              std::shared_ptr<routing::Destination> destination,
                                              const ForwardRequest& request);

}  // namespace zmesh::l7
