#include "upstream/make_load_balancer.h"

#include "upstream/consistent_hash_balancer.h"
#include "upstream/least_request.h"
#include "upstream/random_balancer.h"
#include "upstream/round_robin.h"

namespace zmesh::upstream {
namespace {

// PASSTHROUGH (Envoy ORIGINAL_DST): no endpoint list to choose from; health does not apply.
class PassthroughBalancer final : public LoadBalancer {
 public:
  PassthroughBalancer() : LoadBalancer(0) {}
  Pick pick(std::span<const Endpoint>, std::optional<uint64_t>) override {
    return {Pick::Kind::kOriginalDestination, 0};
  }

 private:
  void rebuild(std::span<const Endpoint>, std::span<const size_t>) override {}
  size_t choose(std::span<const Endpoint>, std::span<const size_t>,
                std::optional<uint64_t>) override {
    return 0;
  }
};

}  // namespace

std::unique_ptr<LoadBalancer> make_load_balancer(const LbConfig& config, uint64_t seed) {
  using P = LbConfig::Policy;
  using A = ConsistentHashBalancer::Algorithm;
  switch (config.policy) {
    case P::kRoundRobin:
      return std::make_unique<RoundRobinBalancer>(seed);
    case P::kRandom:
      return std::make_unique<RandomBalancer>(seed);
    case P::kPassthrough:
      return std::make_unique<PassthroughBalancer>();
    case P::kRingHash:
      return std::make_unique<ConsistentHashBalancer>(A::kRingHash, config.minimum_ring_size, seed);
    case P::kMaglev:
      return std::make_unique<ConsistentHashBalancer>(A::kMaglev, config.maglev_table_size, seed);
    case P::kLeastRequest:
      break;
  }
  return std::make_unique<LeastRequestBalancer>(seed);
}

}  // namespace zmesh::upstream
