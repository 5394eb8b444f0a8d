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

// The Services `p` is attached to: targetRef(s) of kind Service in the core group.
std::vector<std::string> target_services(const AuthorizationPolicy& p) {
  std::vector<std::string> out;
  auto add = [&](const PolicyTargetReference& r) {
    if (r.kind == "Service" && (r.group.empty() || r.group == "core")) out.push_back(r.name);
  };
  if (p.target_ref) add(*p.target_ref);
  for (const auto& r : p.target_refs) add(r);
  return out;
}

}  // namespace

AuthzPolicies::AuthzPolicies(const std::vector<AuthorizationPolicy>& policies,
                             const std::string& root_namespace) {
  std::vector<const AuthorizationPolicy*> by_age;
  for (const auto& p : policies) by_age.push_back(&p);
  sort_oldest_first(by_age);
  for (const auto* p : by_age) {
    if (!p->selects_workloads()) {
      auto services = target_services(*p);
      if (services.empty()) continue;
      auto shared = std::make_shared<const AuthorizationPolicy>(*p);
      for (const auto& service : services)
        by_service_[p->meta.namespace_ + "/" + service].push_back(Entry{Labels{}, shared});
      ++service_ns_[p->meta.namespace_];
      continue;
    }
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

void AuthzPolicies::add_service_targets(const std::string& ns, const std::string& service,
                                        ApplicablePolicies& out) const {
  auto it = by_service_.find(ns + "/" + service);
  if (it != by_service_.end()) add(it->second, Labels{}, out);
}

ApplicablePolicies AuthzPolicies::policies_for(const std::string& ns, const Labels& labels) const {
  ApplicablePolicies out;
  add(mesh_, labels, out);
  auto it = by_ns_.find(ns);
  if (it != by_ns_.end()) add(it->second, labels, out);
  return out;
}

}  // namespace zmesh::state
