// LEAST_REQUEST, Istio's default, as Envoy's LeastRequestLoadBalancer with Istio's settings
// (choice_count 2, active_request_bias 1.0):
//  - equal weights: power of two choices: sample two endpoints at random (with replacement)
//    and take the one with fewer requests in flight (the first on a tie);
//  - unequal weights: earliest-deadline-first over weight / (active_requests + 1), the weight
//    recomputed for an endpoint each time it is picked (other endpoints keep theirs until
//    their turn, exactly as Envoy's EDF scheduler does).
#pragma once

#include <vector>

#include "upstream/load_balancer.h"

namespace zmesh::upstream {

class LeastRequestBalancer final : public LoadBalancer {
 public:
  explicit LeastRequestBalancer(uint64_t seed) : LoadBalancer(seed) {}

 private:
  void rebuild(std::span<const Endpoint> endpoints, std::span<const size_t> eligible) override;
  size_t choose(std::span<const Endpoint> endpoints, std::span<const size_t> eligible,
                std::optional<uint64_t> hash) override;
  size_t two_choices(std::span<const Endpoint> endpoints, std::span<const size_t> eligible);
  size_t earliest_deadline(std::span<const Endpoint> endpoints, std::span<const size_t> eligible);

  bool equal_weights_ = true;
  // EDF state per position in `eligible`; ties go to the earlier-scheduled entry.
  std::vector<double> deadline_;
  std::vector<uint64_t> order_;
  double now_ = 0;
  uint64_t next_order_ = 0;
};

}  // namespace zmesh::upstream
