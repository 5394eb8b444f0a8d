// Label selection as Services use it, shared by the snapshot compiler and its lookups.
#pragma once

#include <cstdint>

#include "state/model.h"
#include "state/snapshot.h"

namespace zmesh::state {

// matchLabels semantics: every selector label present with the same value. An empty
// selector selects nothing here: a Service without one has its endpoints managed elsewhere.
inline bool selector_matches(const Labels& selector, const Labels& labels) {
  if (selector.empty()) return false;
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

// The port a pod serves a service port on, or 0 when it has no container port of that name.
inline uint16_t target_port_on(const ServicePort& sp, const Workload& w) {
  if (sp.target_port_name.empty()) return sp.target_port != 0 ? sp.target_port : sp.port;
  for (const auto& cp : w.ports) {
    if (cp.name == sp.target_port_name && cp.protocol == sp.protocol) return cp.port;
  }
  return 0;
}

}  // namespace zmesh::state
