#include "state/mtls_policies.h"

#include <algorithm>

#include "state/oldest_first.h"

namespace zmesh::state {
namespace {

MtlsMode inherit(MtlsMode own, MtlsMode parent) {
  return own == MtlsMode::kUnset ? parent : own;
}

bool has_selector(const PeerAuthentication& pa) {
  return pa.selector && !pa.selector->empty();
}

bool is_subset(const Labels& selector, const Labels& labels) {
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace

MtlsPolicies::MtlsPolicies(const std::vector<PeerAuthentication>& policies,
                           const std::string& root_namespace) {
  std::vector<const PeerAuthentication*> by_age;
  for (const auto& pa : policies) by_age.push_back(&pa);
  sort_oldest_first(by_age);

  const PeerAuthentication* mesh = nullptr;
  std::unordered_map<std::string, const PeerAuthentication*> ns_level;
  std::unordered_map<std::string, std::vector<const PeerAuthentication*>> workload_level;
  for (const auto* pa : by_age) {
    const std::string& ns = pa->meta.namespace_;
    if (!has_selector(*pa)) {
      if (ns == root_namespace) {
        if (mesh == nullptr) mesh = pa;
      } else {
        ns_level.emplace(ns, pa);  // keeps the oldest
      }
    } else if (ns != root_namespace) {
      workload_level[ns].push_back(pa);
    }
  }

  mesh_ = inherit(mesh ? mesh->mode : MtlsMode::kUnset, MtlsMode::kPermissive);
  for (const auto& [ns, pa] : ns_level) by_ns_[ns].mode = inherit(pa->mode, mesh_);
  for (const auto& [ns, list] : workload_level) {
    NamespacePolicies& np = by_ns_[ns];
    if (ns_level.count(ns) == 0) np.mode = mesh_;
    for (const auto* pa : list) {
      WorkloadPolicy wp;
      wp.selector = *pa->selector;
      wp.mode = inherit(pa->mode, np.mode);
      for (const auto& [port, mode] : pa->port_level) {  // std::map: sorted
        if (port == 0 || port > 65535) continue;         // not a TCP port (decoders reject it)
        wp.ports.emplace_back(static_cast<uint16_t>(port), inherit(mode, wp.mode));
      }
      np.workloads.push_back(std::move(wp));
    }
  }
}

MtlsMode MtlsPolicies::mode(const std::string& ns, const Labels& labels, uint16_t port) const {
  auto it = by_ns_.find(ns);
  if (it == by_ns_.end()) return mesh_;
  const NamespacePolicies& np = it->second;
  for (const auto& wp : np.workloads) {
    if (!is_subset(wp.selector, labels)) continue;
    auto p =
        std::lower_bound(wp.ports.begin(), wp.ports.end(), port,
                         [](const auto& entry, uint16_t value) { return entry.first < value; });
    return p != wp.ports.end() && p->first == port ? p->second : wp.mode;
  }
  return np.mode;
}

}  // namespace zmesh::state
