// A load balancer picks one endpoint per request. One instance per worker thread per endpoint
// set: it keeps unsynchronised state (round-robin position, EDF deadlines, hash tables, its own
// Rng), so it is lock-free because it is never shared. Workers balancing independently is what
// Envoy does too.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "upstream/eligible_set.h"
#include "upstream/endpoint.h"
#include "upstream/rng.h"

namespace zmesh::upstream {

class LoadBalancer {
 public:
  virtual ~LoadBalancer() = default;

  // `endpoints` is the current set; it may differ from the previous call (the balancer
  // notices and rebuilds). Only healthy endpoints are chosen; none healthy -> kNoHealthyEndpoint.
  // `hash` is the request's consistent-hash key (request_hash()); other policies ignore it,
  // and a hash policy without one picks at random, as Envoy does.
  virtual Pick pick(std::span<const Endpoint> endpoints, std::optional<uint64_t> hash);

 protected:
  explicit LoadBalancer(uint64_t seed) : rng_(seed) {}

  // The eligible set changed (always before the first choose()).
  virtual void rebuild(std::span<const Endpoint> endpoints, std::span<const size_t> eligible) = 0;
  // One choice among `eligible` (never empty); returns an index into `endpoints`.
  virtual size_t choose(std::span<const Endpoint> endpoints, std::span<const size_t> eligible,
                        std::optional<uint64_t> hash) = 0;

  Rng rng_;

 private:
  EligibleSet eligible_;
};

}  // namespace zmesh::upstream
