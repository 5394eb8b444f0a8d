// What one worker keeps of the routing view between connections and requests: the L7Config
// of the snapshot it last saw (taken from the daemon's L7ConfigCache, so it is built once per
// snapshot for all workers), the destinations built from it (each with this worker's load
// balancer), and the worker's randomness. Held in transport::WorkerState and touched only on
// its worker's thread, so no lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>

#include "routing/config_cache.h"
#include "routing/destination.h"
#include "routing/l7_config.h"
#include "upstream/rng.h"

namespace zmesh::routing {

struct WorkerRoutes {
  // `shared`: the daemon's cache (nullptr: build each config here, as unit tests do);
  // `worker_index` seeds this worker's randomness.
  explicit WorkerRoutes(L7ConfigCache* shared = nullptr, size_t worker_index = 0);

  L7ConfigCache* shared = nullptr;
  std::shared_ptr<const state::Snapshot> snapshot;  // held so its address is not reused
  std::shared_ptr<const L7Config> config;
  std::unordered_map<std::string, std::shared_ptr<Destination>> destinations;  // of `config`
  upstream::Rng rng{0};
  uint64_t seed = 0;
};

// The L7Config for `snapshot`, fetched only when the snapshot changed.
std::shared_ptr<const L7Config> config_for(WorkerRoutes& routes,
                                           const std::shared_ptr<const state::Snapshot>& snapshot);

// The destination under the current config, built on first use.
std::variant<std::shared_ptr<Destination>, DestinationError> destination_for(
    WorkerRoutes& routes, const std::shared_ptr<const L7Config>& config, const std::string& host,
    const std::string& subset, uint16_t port, const boost::asio::ip::address& dialed,
    const state::Workload* source = nullptr);

}  // namespace zmesh::routing
