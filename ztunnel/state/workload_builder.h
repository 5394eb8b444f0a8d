// Derives the mesh's view of a pod (Workload) from the Kubernetes object: the owner-ish
// workload name and the canonical service/revision Istio uses in telemetry.
#pragma once

#include <string>

#include "state/model.h"
#include "state/snapshot.h"

namespace zmesh::state {

// Istio's heuristic without owner references: a pod with generateName belongs to a
// controller named after it; a Deployment's ReplicaSet adds "-<pod-template-hash>" and a
// CronJob's Job adds "-<schedule timestamp>", both stripped. Else the pod name.
std::string derive_workload_name(const ObjectMeta& meta);

// Whether a pod belongs in the mesh, and why, as Istio's ambient enablement selector decides:
// never a host-network pod or one with a sidecar (annotation sidecar.istio.io/status, or
// label/annotation sidecar.istio.io/inject=true); pod label istio.io/dataplane-mode=none opts
// out, =ambient opts in; otherwise the namespace's label decides.
struct Membership {
  bool member = false;
  std::string reason;  // "namespace demo is ambient", "pod label istio.io/dataplane-mode=none", ...
};
Membership mesh_membership(const Pod& pod, bool namespace_ambient);

// `namespace_ambient`: the pod's namespace is labelled istio.io/dataplane-mode=ambient.
Workload make_workload(const Pod& pod, bool namespace_ambient);

}  // namespace zmesh::state
