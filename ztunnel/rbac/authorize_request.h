// The AuthorizationPolicy decision for one HTTP request at the destination, with Istio's
// order: any DENY policy matches -> denied; no ALLOW policy -> allowed; an ALLOW policy
// matches -> allowed; else denied. ALLOW policies OR together; a policy without rules
// matches nothing (so an ALLOW with an empty spec denies everything); `rules: [{}]` matches
// everything. AUDIT policies that match are reported, never decide; dry-run ALLOW/DENY
// policies are evaluated apart (Decision::dry_run_would_deny). CUSTOM (ext_authz) runs before
// this, in the HTTP pipeline. Pure: logging, audit lines and counters are the caller's.
#pragma once

#include <string>

#include "rbac/authorize.h"
#include "rbac/request_view.h"

namespace zmesh::rbac {

Decision authorize_request(const state::ApplicablePolicies& policies, const RequestView& request);

// Envoy's response-code details for a denial, with Istio's names for its generated policies:
// "rbac_access_denied_matched_policy[ns[NS]-policy[NAME]-rule[I]]" for a DENY match,
// "rbac_access_denied_matched_policy[none]" when no ALLOW matched.
std::string denial_details(const Decision& decision, const RequestView& request);

}  // namespace zmesh::rbac
