// One HTTP request through the routing core: pick the route (404 NR when none), run its
// faults, answer locally what Istio answers locally (directResponse, redirect, CORS
// preflight), else rewrite, apply header operations, pick the weighted destination and forward
// it. The result is the response to give the client plus what telemetry reports about it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>

#include "l7/forward.h"
#include "l7/http_message.h"
#include "l7/worker_cache.h"
#include "routing/http_target.h"
#include "routing/l7_config.h"

namespace zmesh::l7 {

struct Handled {
  Response response;
  std::string flags;       // Envoy response flags, "" for none
  std::string route_name;  // Istio's route name, "" when no route matched
  std::string error;
  std::string details;  // Envoy's response-code details of a local refusal (RBAC), "" otherwise
  std::shared_ptr<const state::ServiceInfo> service;  // the destination service
  ForwardResult upstream;                             // when forwarded (workload, addresses)
};

// Fills `h` (owned by the caller: it is big, and coroutine frames had better stay small).
boost::asio::awaitable<void> route_request(
    transport::ProxyContext& ctx, transport::WorkerState& worker, WorkerCache& cache,
    std::shared_ptr<const routing::L7Config> config, std::shared_ptr<const transport::PodNetns> pod,
    const state::Workload* source, const routing::L7Target& target, Request& request, Handled& h);

// A reply the proxy makes itself, as a response (content-length set).
Response make_local_response(uint32_t status, const std::string& body, unsigned version,
                             bool grpc = false);

}  // namespace zmesh::l7
