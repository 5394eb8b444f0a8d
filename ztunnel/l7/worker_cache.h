// What one worker thread keeps for L7 between requests: the L7Config of the snapshot it last
// saw (rebuilt only when the snapshot pointer changes), the destinations built from it, idle
// upstream connections (HTTP/2 ones shared by concurrent requests). Request-metric cells live
// in request_report.cc.
// thread_local: each worker is one thread and nothing here is ever touched by another, so no lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "l7/destination.h"
#include "l7/h2_upstream_pool.h"
#include "l7/l7_config.h"
#include "l7/upstream_pool.h"
#include "telemetry/metrics.h"
#include "upstream/rng.h"

namespace zmesh::l7 {

struct WorkerCache {
  std::shared_ptr<const state::Snapshot> snapshot;  // held so its address is not reused
  std::shared_ptr<const L7Config> config;
  std::unordered_map<std::string, std::shared_ptr<Destination>> destinations;  // of `config`
  UpstreamPool pool;
  H2UpstreamPool h2_pool;  // HTTP/2 upstreams (upstream_protocol), streams multiplexed
  upstream::Rng rng{0};
  uint64_t seed = 0;
};

// The calling worker's cache; `worker_index` seeds its randomness on first use.
WorkerCache& worker_cache(size_t worker_index);

// The L7Config for `snapshot`, building it only when the snapshot changed.
std::shared_ptr<const L7Config> config_for(WorkerCache& cache,
                                           const std::shared_ptr<const state::Snapshot>& snapshot);

// The destination under the current config, built on first use.
std::variant<std::shared_ptr<Destination>, DestinationError> destination_for(
    WorkerCache& cache, const std::shared_ptr<const L7Config>& config, const std::string& host,
    const std::string& subset, uint16_t port, const boost::asio::ip::address& dialed,
    const state::Workload* source = nullptr);

}  // namespace zmesh::l7
