#include "l7/worker_cache.h"

#include <chrono>
#include <variant>

namespace zmesh::l7 {

WorkerCache& worker_cache(size_t worker_index) {
  thread_local WorkerCache cache = [&] {
    WorkerCache c;
    c.seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
             (0x9E3779B97F4A7C15ULL * (worker_index + 1));
    c.rng = upstream::Rng(c.seed);
    return c;
  }();
  return cache;
}

std::shared_ptr<const L7Config> config_for(WorkerCache& cache,
                                           const std::shared_ptr<const state::Snapshot>& snapshot) {
  if (cache.snapshot != snapshot || !cache.config) {
    cache.config = L7Config::build(snapshot);
    cache.snapshot = snapshot;
    cache.destinations.clear();  // in-flight requests keep theirs (shared_ptr)
  }
  return cache.config;
}

std::variant<std::shared_ptr<Destination>, DestinationError> destination_for(
    WorkerCache& cache, const std::shared_ptr<const L7Config>& config, const std::string& host,
    const std::string& subset, uint16_t port, const boost::asio::ip::address& dialed,
    const state::Workload* source) {
  std::string key = destination_key(*config, host, subset, port, source);
  if (config == cache.config) {
    if (auto it = cache.destinations.find(key); it != cache.destinations.end()) return it->second;
  }
  auto made = make_destination(*config, host, subset, port, dialed, cache.rng.next(), source);
  if (auto* d = std::get_if<std::shared_ptr<Destination>>(&made); d && config == cache.config)
    cache.destinations.emplace(key, *d);
  return made;
}

}  // namespace zmesh::l7
