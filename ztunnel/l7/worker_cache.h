// What one worker thread keeps for L7 between requests: its routing view (the worker's
// routing::WorkerRoutes: config, destinations, randomness) and its idle upstream connections
// (HTTP/2 ones shared by concurrent requests). Request-metric cells live in request_report.cc.
// thread_local: each worker is one thread and nothing here is ever touched by another, so no lock.
#pragma once

#include <memory>

#include "jwt/token_cache.h"
#include "l7/h2_upstream_pool.h"
#include "l7/upstream_pool.h"
#include "routing/worker_routes.h"
#include "transport/proxy_context.h"

namespace zmesh::l7 {

struct WorkerCache {
  routing::WorkerRoutes& routes;  // the worker's (WorkerState::routes)
  UpstreamPool pool;
  H2UpstreamPool h2_pool;  // HTTP/2 upstreams (upstream_protocol), streams multiplexed
  jwt::TokenCache tokens;  // JWTs this worker verified (the destination's RequestAuthentication)
};

// The calling worker's cache, bound to `worker`'s routes.
WorkerCache& worker_cache(transport::WorkerState& worker);

}  // namespace zmesh::l7
