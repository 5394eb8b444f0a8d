#include "l7/worker_cache.h"

namespace zmesh::l7 {

WorkerCache& worker_cache(transport::WorkerState& worker) {
  // A worker thread serves one WorkerState for its whole life; a thread that meets another
  // one (tests that run several on one thread) starts a fresh cache rather than keep a
  // reference to routes that may be gone.
  thread_local std::unique_ptr<WorkerCache> cache;
  if (!cache || &cache->routes != &worker.routes)
    cache.reset(new WorkerCache{worker.routes, {}, {}, jwt::TokenCache()});
  return *cache;
}

}  // namespace zmesh::l7
