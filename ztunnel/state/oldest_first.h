// The order in which configs of one kind are considered where "the oldest wins" (a host's
// VirtualService and DestinationRule, PeerAuthentications of one level, AuthorizationPolicies):
// creationTimestamp, oldest first; an object without one (files written by hand) sorts before
// every time, as Go's zero time.Time does. Objects created in the same second are ordered by
// namespace, then name, so the order never depends on the order they were read in. (Istio's
// pilot breaks such ties by name, then namespace; the two differ only between namespaces.)
#pragma once

#include <algorithm>
#include <vector>

#include "state/model.h"

namespace zmesh::state {

// True when `a` comes before `b`.
bool older(const ObjectMeta& a, const ObjectMeta& b);

// Sorts pointers (raw or smart) to objects with a `meta`, oldest first.
template <typename Ptr>
void sort_oldest_first(std::vector<Ptr>& objects) {
  std::sort(objects.begin(), objects.end(),
            [](const Ptr& a, const Ptr& b) { return older(a->meta, b->meta); });
}

}  // namespace zmesh::state
