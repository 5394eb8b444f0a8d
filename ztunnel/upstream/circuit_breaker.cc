#include "upstream/circuit_breaker.h"

#include <utility>

namespace zmesh::upstream {
namespace {

size_t slot(Resource r) {
  return static_cast<size_t>(r);
}

}  // namespace

CircuitBreaker::CircuitBreaker(const CircuitBreakerLimits& limits) {
  set_limits(limits);
}

void CircuitBreaker::set_limits(const CircuitBreakerLimits& limits) {
  limit_[slot(Resource::kConnections)].store(limits.max_connections, std::memory_order_relaxed);
  limit_[slot(Resource::kPendingRequests)].store(limits.max_pending_requests,
                                                 std::memory_order_relaxed);
  limit_[slot(Resource::kRequests)].store(limits.max_requests, std::memory_order_relaxed);
  limit_[slot(Resource::kRetries)].store(limits.max_retries, std::memory_order_relaxed);
}

Admission CircuitBreaker::try_acquire(Resource resource) {
  auto& active = active_[slot(resource)];
  const uint64_t limit = limit_[slot(resource)].load(std::memory_order_relaxed);
  uint64_t current = active.load(std::memory_order_relaxed);
  // A compare-and-swap loop rather than fetch_add-then-undo: a refused request never shows
  // as active, not even for an instant, to a concurrent try_acquire.
  do {
    if (current >= limit) return Admission::kOverflow;
  } while (!active.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
  return Admission::kAdmitted;
}

void CircuitBreaker::release(Resource resource) {
  active_[slot(resource)].fetch_sub(1, std::memory_order_relaxed);
}

uint64_t CircuitBreaker::active(Resource resource) const {
  return active_[slot(resource)].load(std::memory_order_relaxed);
}

uint32_t CircuitBreaker::limit(Resource resource) const {
  return limit_[slot(resource)].load(std::memory_order_relaxed);
}

BreakerSlot BreakerSlot::acquire(CircuitBreaker& breaker, Resource resource) {
  if (breaker.try_acquire(resource) == Admission::kOverflow) return {};
  return BreakerSlot(&breaker, resource);
}

BreakerSlot::BreakerSlot(BreakerSlot&& other) noexcept
    : breaker_(std::exchange(other.breaker_, nullptr)), resource_(other.resource_) {}

BreakerSlot& BreakerSlot::operator=(BreakerSlot&& other) noexcept {
  if (this != &other) {
    reset();
    breaker_ = std::exchange(other.breaker_, nullptr);
    resource_ = other.resource_;
  }
  return *this;
}

void BreakerSlot::reset() {
  if (breaker_ != nullptr) std::exchange(breaker_, nullptr)->release(resource_);
}

}  // namespace zmesh::upstream
