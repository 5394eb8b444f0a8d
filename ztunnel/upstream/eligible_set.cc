#include "upstream/eligible_set.h"

namespace zmesh::upstream {

bool EligibleSet::update(std::span<const Endpoint> endpoints) {
  bool changed = first_ || seen_.size() != endpoints.size();
  for (size_t i = 0; !changed && i < endpoints.size(); ++i) {
    const Endpoint& e = endpoints[i];
    changed = !(seen_[i] == Seen{e.id, e.weight, e.healthy});
  }
  if (!changed) return false;
  first_ = false;
  seen_.clear();
  indices_.clear();
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const Endpoint& e = endpoints[i];
    seen_.push_back({e.id, e.weight, e.healthy});
    if (e.healthy) indices_.push_back(i);
  }
  return true;
}

}  // namespace zmesh::upstream
