#include "state/request_authns.h"

#include <algorithm>

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

bool selects_workloads(const RequestAuthentication& object) {
  return !object.target_ref && object.target_refs.empty();
}

}  // namespace

RequestAuthns::RequestAuthns(const std::vector<RequestAuthentication>& objects,
                             const std::string& root_namespace) {
  std::vector<const RequestAuthentication*> by_age;
  for (const auto& o : objects) {
    if (selects_workloads(o) && !o.jwt_rules.empty()) by_age.push_back(&o);
  }
  sort_oldest_first(by_age);
  for (const auto* o : by_age) {
    for (const auto& rule : o->jwt_rules) {
      if (!rule.jwks_uri.empty()) jwks_uris_.push_back(rule.jwks_uri);
    }
    Entry entry{o->selector.value_or(Labels{}), std::make_shared<const RequestAuthentication>(*o)};
    if (o->meta.namespace_ == root_namespace) {
      mesh_.push_back(std::move(entry));
    } else {
      by_ns_[o->meta.namespace_].push_back(std::move(entry));
    }
  }
  std::sort(jwks_uris_.begin(), jwks_uris_.end());
  jwks_uris_.erase(std::unique(jwks_uris_.begin(), jwks_uris_.end()), jwks_uris_.end());
}

void RequestAuthns::add(const std::vector<Entry>& entries, const Labels& labels,
                        std::vector<const JwtRule*>& out) {
  for (const auto& e : entries) {
    if (!is_subset(e.selector, labels)) continue;
    for (const auto& rule : e.object->jwt_rules) out.push_back(&rule);
  }
}

std::vector<const JwtRule*> RequestAuthns::rules_for(const std::string& ns,
                                                     const Labels& labels) const {
  std::vector<const JwtRule*> out;
  add(mesh_, labels, out);
  auto it = by_ns_.find(ns);
  if (it != by_ns_.end()) add(it->second, labels, out);
  return out;
}

}  // namespace zmesh::state
