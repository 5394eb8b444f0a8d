// Helpers shared by the upstream_* balancer tests: endpoint lists and pick tallies.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <span>
#include <vector>

#include "upstream/load_balancer.h"

namespace zmesh::upstream::testing {

// Endpoints with ids 100, 101, ... and the given weights, all healthy and idle.
inline std::vector<Endpoint> weighted(std::vector<uint32_t> weights) {
  std::vector<Endpoint> out;
  for (size_t i = 0; i < weights.size(); ++i) out.push_back({100 + i, weights[i], 0, true});
  return out;
}

inline std::vector<Endpoint> equal(size_t n) {
  return weighted(std::vector<uint32_t>(n, 1));
}

// How many of `n` picks landed on each index; a pick that is not an endpoint fails the test.
inline std::vector<int> tally(LoadBalancer& lb, std::span<const Endpoint> endpoints, int n) {
  std::vector<int> counts(endpoints.size(), 0);
  for (int i = 0; i < n; ++i) {
    Pick p = lb.pick(endpoints, std::nullopt);
    if (p.kind != Pick::Kind::kEndpoint) {
      ADD_FAILURE() << "pick " << i << " chose no endpoint";
      return counts;
    }
    ++counts[p.index];
  }
  return counts;
}

}  // namespace zmesh::upstream::testing
