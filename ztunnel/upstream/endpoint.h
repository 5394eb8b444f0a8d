// What a load balancer sees of one endpoint, and what it answers. The caller owns the real
// endpoint (address, connections); the balancer only needs these few numbers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace zmesh::upstream {

struct Endpoint {
  // The caller's stable handle for the endpoint (e.g. a hash of "ip:port"). Ring hash and
  // Maglev place endpoints by it, so it must not change while the endpoint stays.
  uint64_t id = 0;
  // Relative share of traffic; 0 counts as 1 (Envoy requires load_balancing_weight >= 1).
  uint32_t weight = 1;
  // Requests in flight to this endpoint now, kept by the caller; read by LEAST_REQUEST.
  uint32_t active_requests = 0;
  // False while outlier detection ejects it (OutlierDetector::usable, which already says true
  // for every endpoint in panic, below minHealthPercent).
  bool healthy = true;
};

// One balancing decision.
struct Pick {
  enum class Kind {
    kEndpoint,             // use endpoints[index]
    kOriginalDestination,  // PASSTHROUGH: connect where the client was going
    kNoHealthyEndpoint,    // nothing usable: 503 with flag UH
  };
  Kind kind = Kind::kNoHealthyEndpoint;
  size_t index = 0;

  static Pick endpoint(size_t i) { return {Kind::kEndpoint, i}; }
  bool operator==(const Pick&) const = default;
};

}  // namespace zmesh::upstream
