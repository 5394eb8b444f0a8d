// AuthorizationPolicy compiled for the data path: which policies apply to a workload, by
// action, in Istio's evaluation order. Enforcement (matching a connection against the
// rules) is the caller's; this only answers "which policies" cheaply.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "state/authorization_policy.h"
#include "state/model.h"

namespace zmesh::state {

// The policies that apply to one workload. Istio evaluates them in this order:
//   1. a matching CUSTOM policy whose ext_authz provider denies -> deny;
//   2. any matching DENY policy -> deny;
//   3. no ALLOW policy -> allow; 4. a matching ALLOW policy -> allow; 5. else deny.
// AUDIT policies only mark matching requests. Dry-run ALLOW/DENY policies are never
// enforced: they are listed apart for logs and metrics.
// Pointers stay valid as long as the AuthzPolicies (the Snapshot) they came from.
struct ApplicablePolicies {
  std::vector<const AuthorizationPolicy*> custom;
  std::vector<const AuthorizationPolicy*> deny;
  std::vector<const AuthorizationPolicy*> allow;
  std::vector<const AuthorizationPolicy*> audit;
  std::vector<const AuthorizationPolicy*> dry_run;  // ALLOW or DENY with istio.io/dry-run

  bool empty() const {
    return custom.empty() && deny.empty() && allow.empty() && audit.empty() && dry_run.empty();
  }
};

class AuthzPolicies {
 public:
  AuthzPolicies() = default;  // no policy: everything allowed

  // Istio's targeting, as ztunnel applies it:
  // - a policy without selector applies to every workload of its namespace; with a
  //   selector (matchLabels, ANDed) to the workloads of its namespace it matches;
  //   `selector: {}` selects like no selector;
  // - a policy in `root_namespace` applies mesh-wide, its selector matched in every
  //   namespace;
  // - a policy with targetRef(s) of kind Service (group "" or "core"; Istio attaches it to
  //   the Service's waypoint) applies, since this node proxy plays the waypoint's part, to the
  //   traffic of that Service (same namespace) at its workloads: service_targets(); other
  //   targetRef kinds (Gateway, GatewayClass, ServiceEntry) are for gateways and are left out.
  // Within an action, root-namespace policies come first, then the namespace's, each
  // group oldest first (creationTimestamp, then name: state/oldest_first.h).
  AuthzPolicies(const std::vector<AuthorizationPolicy>& policies,
                const std::string& root_namespace);

  // The policies that apply to a workload in `ns` with `labels`. Cost: one hash lookup
  // and a label subset test per selector policy of the namespace and of the root
  // namespace; allocates only for the lists that are not empty.
  ApplicablePolicies policies_for(const std::string& ns, const Labels& labels) const;

  // Adds the policies attached to Service `ns`/`service` by targetRef(s).
  void add_service_targets(const std::string& ns, const std::string& service,
                           ApplicablePolicies& out) const;
  // Whether some policy of `ns` is attached to a Service.
  bool has_service_targets(const std::string& ns) const { return service_ns_.count(ns) != 0; }

  // True when no policy applies anywhere (the common fast path: allow everything).
  bool empty() const { return mesh_.empty() && by_ns_.empty() && by_service_.empty(); }

 private:
  struct Entry {
    Labels selector;  // empty: every workload
    std::shared_ptr<const AuthorizationPolicy> policy;
  };
  static void add(const std::vector<Entry>& entries, const Labels& labels, ApplicablePolicies& out);

  std::vector<Entry> mesh_;                                         // the root namespace's
  std::unordered_map<std::string, std::vector<Entry>> by_ns_;       // the other namespaces'
  std::unordered_map<std::string, std::vector<Entry>> by_service_;  // "ns/service" -> attached
  std::unordered_map<std::string, size_t> service_ns_;  // namespaces with attached policies
};

}  // namespace zmesh::state
