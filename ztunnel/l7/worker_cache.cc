#include "l7/worker_cache.h"

namespace zmesh::l7 {

WorkerCache& worker_cache(transport::WorkerState& worker) {
  thread_local WorkerCache cache{worker.routes, {}, {}};
  return cache;
}

}  // namespace zmesh::l7
