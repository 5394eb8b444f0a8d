// PeerAuthentication compiled for the data path: Istio's ComposePeerAuthentication
// (pilot/pkg/security/authn) evaluated ahead of time per namespace, so a lookup per
// inbound connection is a hash lookup plus label matching, without allocation.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "state/model.h"

namespace zmesh::state {

class MtlsPolicies {
 public:
  MtlsPolicies() = default;  // no policy: PERMISSIVE everywhere

  // Istio's rules:
  // - mesh policy: no selector, in `root_namespace`; namespace policy: no selector, in the
  //   workload's namespace; workload policy: a selector matching the workload's labels, in
  //   its namespace. Selector policies in the root namespace are ignored (for every
  //   workload, root namespace included), as ComposePeerAuthentication does.
  // - Several policies at one level: the oldest creationTimestamp wins, then the smaller
  //   name (state/oldest_first.h). Without a timestamp counts as oldest.
  // - UNSET inherits: workload -> namespace -> mesh -> PERMISSIVE.
  // - The winning workload policy's portLevelMtls overrides its mode for that port; an
  //   UNSET port inherits the workload's effective mode.
  MtlsPolicies(const std::vector<PeerAuthentication>& policies, const std::string& root_namespace);

  // The effective mode, never kUnset. `port` is the workload's (target) port.
  MtlsMode mode(const std::string& ns, const Labels& labels, uint16_t port) const;

 private:
  struct WorkloadPolicy {
    Labels selector;
    MtlsMode mode = MtlsMode::kPermissive;             // resolved
    std::vector<std::pair<uint16_t, MtlsMode>> ports;  // resolved, sorted by port
  };
  struct NamespacePolicies {
    MtlsMode mode = MtlsMode::kPermissive;  // resolved: namespace, else mesh
    std::vector<WorkloadPolicy> workloads;  // oldest first: the first match wins
  };

  MtlsMode mesh_ = MtlsMode::kPermissive;                     // resolved
  std::unordered_map<std::string, NamespacePolicies> by_ns_;  // namespaces with policies
};

}  // namespace zmesh::state
