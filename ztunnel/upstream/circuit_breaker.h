// Envoy's circuit breakers for one destination (host, subset, port): counters of what is open
// or in flight, shared by every worker (atomics, no lock). A try_acquire() over the limit
// changes nothing and reports kOverflow; what the proxy does then is Envoy's:
//  - kConnections: open no new upstream connection (HTTP: the request waits as pending;
//    TCP: the downstream connection is refused);
//  - kPendingRequests (a request waiting for a connection) and kRequests (a request in
//    flight): answer 503 with flag UO;
//  - kRetries (a retry in flight): do not retry; the last response stands.
// Every kAdmitted acquisition must be released once (BreakerSlot does it).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "upstream/circuit_breaker_limits.h"

namespace zmesh::upstream {

enum class Resource { kConnections, kPendingRequests, kRequests, kRetries };
enum class Admission { kAdmitted, kOverflow };

class CircuitBreaker {
 public:
  explicit CircuitBreaker(const CircuitBreakerLimits& limits = {});

  // New limits from a config change: they apply to the next acquisitions; what is held stays
  // (Envoy does not cut existing requests either).
  void set_limits(const CircuitBreakerLimits& limits);

  [[nodiscard]] Admission try_acquire(Resource resource);
  void release(Resource resource);

  uint64_t active(Resource resource) const;
  uint32_t limit(Resource resource) const;

 private:
  static constexpr size_t kCount = 4;
  std::array<std::atomic<uint64_t>, kCount> active_{};
  std::array<std::atomic<uint32_t>, kCount> limit_{};
};

// One acquisition, released when it goes out of scope.
class BreakerSlot {
 public:
  BreakerSlot() = default;
  // Empty (bool false) on overflow.
  static BreakerSlot acquire(CircuitBreaker& breaker, Resource resource);
  BreakerSlot(BreakerSlot&& other) noexcept;
  BreakerSlot& operator=(BreakerSlot&& other) noexcept;
  ~BreakerSlot() { reset(); }

  explicit operator bool() const { return breaker_ != nullptr; }
  void reset();

 private:
  BreakerSlot(CircuitBreaker* breaker, Resource resource)
      : breaker_(breaker), resource_(resource) {}
  CircuitBreaker* breaker_ = nullptr;
  Resource resource_ = Resource::kRequests;
};

}  // namespace zmesh::upstream
