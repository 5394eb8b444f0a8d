// One routed destination (host, subset, port) as a worker sends requests to it: the members of
// the subset with their addresses, the merged DestinationRule policy, this worker's balancer,
// and the circuit breaker and outlier detector every worker shares for it.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "state/snapshot.h"
#include "upstream/circuit_breaker.h"
#include "upstream/connection_settings.h"
#include "upstream/effective_policy.h"
#include "upstream/load_balancer.h"
#include "upstream/outlier_detector.h"

namespace zmesh::routing {

class L7Config;

// Shared by all workers for one destination key; outlives config changes (limits and outlier
// state carry over, as Envoy keeps a cluster's state across an update that leaves it).
struct SharedDestination {
  upstream::CircuitBreaker breaker;
  std::mutex mu;  // guards the outlier detector (one short section per result)
  std::optional<upstream::OutlierDetector> outlier;
  std::optional<upstream::OutlierConfig> outlier_config;
  std::vector<uint64_t> outlier_ids;
};

class Destination {
 public:
  std::string key;  // "host|subset|port"
  std::shared_ptr<const state::ServiceInfo> service;
  uint16_t port = 0;  // the Service port
  upstream::EffectivePolicy policy;
  upstream::ConnectionSettings connection;  // policy's connectionPool, Istio's defaults filled in
  std::vector<state::Backend> members;
  std::vector<boost::asio::ip::tcp::endpoint> targets;  // members' addresses to dial
  std::vector<upstream::Endpoint> endpoints;            // what the balancer sees
  std::unique_ptr<upstream::LoadBalancer> balancer;     // this worker's
  std::shared_ptr<SharedDestination> shared;

  // An endpoint, avoiding `avoid` (previous attempts) when another healthy one exists.
  upstream::Pick pick(std::span<const size_t> avoid, std::optional<uint64_t> hash);
  // PASSTHROUGH (Envoy's ORIGINAL_DST): the endpoint the app dialed. When it dialed the
  // Service VIP, no kube-proxy stands behind that address on a zmesh node, so ztunnel does
  // what kube-proxy would: a healthy endpoint at random (`random`), avoiding `avoid`.
  upstream::Pick original_destination(const boost::asio::ip::address& dialed,
                                      std::span<const size_t> avoid, uint64_t random) const;
  void record_status(size_t endpoint, uint32_t status);
  void record_local(size_t endpoint, upstream::LocalOrigin event);
};

struct DestinationError {
  const char* flag;  // "NC": no such subset/rule; "UH": no endpoints
  std::string message;
};

// Builds the destination from `config`'s snapshot; `seed` seeds this worker's balancer.
// `source`: the calling workload, for DestinationRules with a workloadSelector.
std::variant<std::shared_ptr<Destination>, DestinationError> make_destination(
    const L7Config& config, const std::string& host, const std::string& subset, uint16_t port,
    const boost::asio::ip::address& dialed, uint64_t seed, const state::Workload* source = nullptr);

// "host|subset|port", plus "|dr=ns/name" when a workloadSelector rule applies to `source`
// (its limits and outlier state are its own).
std::string destination_key(const L7Config& config, const std::string& host,
                            const std::string& subset, uint16_t port,
                            const state::Workload* source);

}  // namespace zmesh::routing
