#include "routing/worker_routes.h"

#include <chrono>

namespace zmesh::routing {

WorkerRoutes::WorkerRoutes(L7ConfigCache* shared_cache, size_t worker_index)
    : shared(shared_cache),
      seed(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
           (0x9E3779B97F4A7C15ULL * (worker_index + 1))) {
  rng = upstream::Rng(seed);
}

std::shared_ptr<const L7Config> config_for(WorkerRoutes& routes,
                                           const std::shared_ptr<const state::Snapshot>& snapshot) {
  if (routes.snapshot != snapshot || !routes.config) {
    routes.config = routes.shared ? routes.shared->get(snapshot) : L7Config::build(snapshot);
    routes.snapshot = snapshot;
    routes.destinations.clear();  // in-flight requests keep theirs (shared_ptr)
  }
  return routes.config;
}

std::variant<std::shared_ptr<Destination>, DestinationError> destination_for(
    WorkerRoutes& routes, const std::shared_ptr<const L7Config>& config, const std::string& host,
    const std::string& subset, uint16_t port, const boost::asio::ip::address& dialed,
    const state::Workload* source) {
  std::string key = destination_key(*config, host, subset, port, source);
  if (config == routes.config) {
    if (auto it = routes.destinations.find(key); it != routes.destinations.end()) return it->second;
  }
  auto made = make_destination(*config, host, subset, port, dialed, routes.rng.next(), source);
  if (auto* d = std::get_if<std::shared_ptr<Destination>>(&made); d && config == routes.config)
    routes.destinations.emplace(key, *d);
  return made;
}

}  // namespace zmesh::routing
