#include "state/authz_policies.h"

#include "state/oldest_first.h"

namespace zmesh::state {
namespace {

bool is_subset(const Labels& selector, const Labels& labels) {
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace

AuthzPolicies::AuthzPolicies(const std::vector<AuthorizationPolicy>& policies,
                             const std::string& root_namespace) {
  std::vector<const AuthorizationPolicy*> by_age;
  for (const auto& p : policies) {
    if (p.selects_workloads()) by_age.push_back(&p);
  }
  sort_oldest_first(by_age);
  for (const auto* p : by_age) {
    Entry entry{p->selector.value_or(Labels{}), std::make_shared<const AuthorizationPolicy>(*p)};
    if (p->meta.namespace_ == root_namespace) {
      mesh_.push_back(std::move(entry));
    } else {
      by_ns_[p->meta.namespace_].push_back(std::move(entry));
    }
  }
}

void AuthzPolicies::add(const std::vector<Entry>& entries, const Labels& labels,
                        ApplicablePolicies& out) {
  for (const auto& e : entries) {
    if (!is_subset(e.selector, labels)) continue;
    const AuthorizationPolicy* p = e.policy.get();
    if (p->dry_run) {
      out.dry_run.push_back(p);
      continue;
    }
    switch (p->action) {
      case AuthzAction::kCustom:
        out.custom.push_back(p);
        break;
      case AuthzAction::kDeny:
        out.deny.push_back(p);
        break;
      case AuthzAction::kAllow:
        out.allow.push_back(p);
        break;
      case AuthzAction::kAudit:
        out.audit.push_back(p);
        break;
    }
  }
}

ApplicablePolicies AuthzPolicies::policies_for(const std::string& ns, const Labels& labels) const {
  ApplicablePolicies out;
  add(mesh_, labels, out);
  auto it = by_ns_.find(ns);
  if (it != by_ns_.end()) add(it->second, labels, out);
  return out;
}

}  // namespace zmesh::state
