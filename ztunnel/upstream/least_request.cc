#include "upstream/least_request.h"

#include <algorithm>

namespace zmesh::upstream {
namespace {

// How long until an endpoint's next turn: 1 / (weight / (active + 1)).
double interval(const Endpoint& e) {
  return (static_cast<double>(e.active_requests) + 1.0) / effective_weight(e);
}

}  // namespace

void LeastRequestBalancer::rebuild(std::span<const Endpoint> endpoints,
                                   std::span<const size_t> eligible) {
  equal_weights_ = std::all_of(eligible.begin(), eligible.end(), [&](size_t i) {
    return effective_weight(endpoints[i]) == effective_weight(endpoints[eligible.front()]);
  });
  if (equal_weights_) return;
  now_ = 0;
  next_order_ = 0;
  deadline_.clear();
  order_.clear();
  for (size_t i : eligible) {
    deadline_.push_back(interval(endpoints[i]));
    order_.push_back(next_order_++);
  }
  // A random number of initial picks, as Envoy does, so workers are not in lockstep.
  size_t skip = rng_.below(std::min<size_t>(eligible.size(), 128));
  for (size_t i = 0; i < skip; ++i) earliest_deadline(endpoints, eligible);
}

size_t LeastRequestBalancer::choose(std::span<const Endpoint> endpoints,
                                    std::span<const size_t> eligible, std::optional<uint64_t>) {
  return equal_weights_ ? two_choices(endpoints, eligible) : earliest_deadline(endpoints, eligible);
}

size_t LeastRequestBalancer::two_choices(std::span<const Endpoint> endpoints,
                                         std::span<const size_t> eligible) {
  size_t candidate = eligible[rng_.below(eligible.size())];
  size_t sampled = eligible[rng_.below(eligible.size())];
  if (endpoints[sampled].active_requests < endpoints[candidate].active_requests) {
    candidate = sampled;
  }
  return candidate;
}

size_t LeastRequestBalancer::earliest_deadline(std::span<const Endpoint> endpoints,
                                               std::span<const size_t> eligible) {
  size_t best = 0;
  for (size_t k = 1; k < eligible.size(); ++k) {
    if (deadline_[k] < deadline_[best] ||
        (deadline_[k] == deadline_[best] && order_[k] < order_[best])) {
      best = k;
    }
  }
  now_ = deadline_[best];
  deadline_[best] = now_ + interval(endpoints[eligible[best]]);
  order_[best] = next_order_++;
  return eligible[best];
}

}  // namespace zmesh::upstream
