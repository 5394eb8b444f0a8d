// ROUND_ROBIN, weighted and smooth (nginx's smooth weighted round robin): weights 5,1,1 give
// a a b a c a a rather than a a a a a b c, so no endpoint gets a burst. With equal weights it is
// plain rotation.
#pragma once

#include <vector>

#include "upstream/load_balancer.h"

namespace zmesh::upstream {

class RoundRobinBalancer final : public LoadBalancer {
 public:
  explicit RoundRobinBalancer(uint64_t seed) : LoadBalancer(seed) {}

 private:
  void rebuild(std::span<const Endpoint> endpoints, std::span<const size_t> eligible) override;
  size_t choose(std::span<const Endpoint> endpoints, std::span<const size_t> eligible,
                std::optional<uint64_t> hash) override;

  std::vector<int64_t> current_;  // per position in `eligible`
};

}  // namespace zmesh::upstream
