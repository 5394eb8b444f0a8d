#include "rbac/authorize_request.h"

#include <algorithm>

#include "rbac/http_policy_match.h"

namespace zmesh::rbac {
namespace {

using state::AuthorizationPolicy;
using state::AuthzAction;

const AuthorizationPolicy* first_match(const std::vector<const AuthorizationPolicy*>& list,
                                       const RequestView& r) {
  auto it = std::find_if(list.begin(), list.end(), [&](const AuthorizationPolicy* p) {
    return request_policy_matches(*p, r);
  });
  return it == list.end() ? nullptr : *it;
}

}  // namespace

Decision authorize_request(const state::ApplicablePolicies& policies, const RequestView& r) {
  Decision d;
  for (const auto* p : policies.deny) {
    if (request_policy_matches(*p, r)) {
      d.allowed = false;
      d.denied_by = p;
      d.reason = "explicitly denied by: " + policy_key(*p);
      break;
    }
  }
  if (d.allowed && !policies.allow.empty()) {
    d.allowed_by = first_match(policies.allow, r);
    if (!d.allowed_by) {
      d.allowed = false;
      d.reason = "allow policies exist, but none allowed";
    }
  }
  for (const auto* p : policies.audit)
    if (request_policy_matches(*p, r)) d.audited.push_back(p);

  if (!policies.dry_run.empty()) {
    bool has_allow = false, allow_matched = false, deny_matched = false;
    for (const auto* p : policies.dry_run) {
      if (p->action == AuthzAction::kDeny) {
        deny_matched = deny_matched || request_policy_matches(*p, r);
      } else {
        has_allow = true;
        allow_matched = allow_matched || request_policy_matches(*p, r);
      }
    }
    d.dry_run_would_deny = deny_matched || (has_allow && !allow_matched);
  }
  return d;
}

std::string denial_details(const Decision& d, const RequestView& r) {
  if (!d.denied_by) return "rbac_access_denied_matched_policy[none]";
  auto rule = matching_rule(*d.denied_by, r);
  return "rbac_access_denied_matched_policy[ns[" + d.denied_by->meta.namespace_ + "]-policy[" +
         d.denied_by->meta.name + "]-rule[" + std::to_string(rule.value_or(0)) + "]]";
}

}  // namespace zmesh::rbac
