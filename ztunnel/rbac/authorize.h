// L4 AuthorizationPolicy decision for one inbound connection, as Istio ambient's ztunnel
// makes it (state.rs assert_rbac), on the destination workload's applicable policies:
//   any DENY policy matches -> deny; no ALLOW policy -> allow; an ALLOW policy matches ->
//   allow; else deny.
// - Dry-run ALLOW/DENY policies are evaluated the same way apart, logged and counted, never
//   enforced.
// - AUDIT policies only write an audit log line (JSON, logger "rbac") when they match.
// - CUSTOM policies are ignored here, as in Istio ambient's ztunnel: a workload with one is
//   decided per request on its ports that speak HTTP (l7/inbound_http asks the external
//   authorizer, as Istio's waypoint does); on other ports it is not enforced.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "rbac/connection_view.h"
#include "state/authz_policies.h"

namespace zmesh::rbac {

struct Decision {
  bool allowed = true;
  // Why a connection is denied, in ztunnel's words ("explicitly denied by: ns/name",
  // "allow policies exist, but none allowed"); empty when allowed.
  std::string reason;
  const state::AuthorizationPolicy* denied_by = nullptr;   // the matching DENY policy
  const state::AuthorizationPolicy* allowed_by = nullptr;  // the first matching ALLOW policy
  std::vector<const state::AuthorizationPolicy*> audited;  // AUDIT policies that matched
  bool dry_run_would_deny = false;  // the dry-run policies alone would have denied
};

Decision authorize(const state::ApplicablePolicies& policies, const ConnectionView& conn);

// The enforced part alone (DENY, then ALLOW), without counting, dry-run or audit logging: for
// re-checking connections already open when the policies change.
Decision enforce(const state::ApplicablePolicies& policies, const ConnectionView& conn);

// Process-wide tallies (not yet exported as metrics: the telemetry module has no family
// for them).
struct Counters {
  std::atomic<uint64_t> allowed{0}, denied{0}, dry_run_denied{0}, audited{0};
};
Counters& counters();

// "ns/name".
std::string policy_key(const state::AuthorizationPolicy& policy);

}  // namespace zmesh::rbac
