// SnapshotCompiler: a Service's endpoints, ready backends and VIP index entries.
#include <algorithm>

#include "state/ip_key.h"
#include "state/namespace_state.h"
#include "state/selector.h"
#include "state/snapshot_compiler.h"

namespace zmesh::state {
namespace {

// The names of the live pods carrying every label of `selector`: the shortest posting list
// of the label index, each name then checked against the whole selector by the caller.
const std::set<std::string>* candidates(const NamespaceState& state, const Labels& selector) {
  const std::set<std::string>* best = nullptr;
  for (const auto& [key, value] : selector) {
    auto it = state.pods_by_label.find(key + "=" + value);
    if (it == state.pods_by_label.end()) return nullptr;
    if (best == nullptr || it->second.size() < best->size()) best = &it->second;
  }
  return best;
}

void add_selected(const NamespaceState& state, ServiceInfo& info) {
  const auto* names = candidates(state, info.selector);
  if (names == nullptr) return;
  for (const auto& name : *names) {
    const auto& w = state.workloads.at(name);
    if (!selector_matches(info.selector, w->labels)) continue;
    info.endpoints.push_back(w);
    if (!w->ready) continue;
    for (size_t i = 0; i < info.ports.size(); ++i) {
      if (uint16_t port = target_port_on(info.ports[i], *w)) {
        info.ready_backends[i].push_back({w, {}, port});
      }
    }
  }
}

// The port a slice gives a service port: the slice port of the same name and protocol.
std::optional<uint16_t> slice_port(const EndpointSlice& slice, const ServicePort& sp) {
  for (const auto& p : slice.ports) {
    if (p.name == sp.name && p.protocol == sp.protocol && p.port) return p.port;
  }
  return std::nullopt;
}

// A Service without selector: its EndpointSlices name the addresses (Kubernetes' manual
// endpoints); an address of a known pod is that workload, any other is dialed as is.
void add_from_slices(const Snapshot& snapshot, const NamespaceState& state, ServiceInfo& info) {
  auto names = state.slices_by_service.find(info.name);
  if (names == state.slices_by_service.end()) return;
  for (const auto& slice_name : names->second) {
    auto it = state.slices.find(slice_name);
    if (it == state.slices.end()) continue;
    const auto& slice = std::get<EndpointSlice>(*it->second);
    for (const auto& e : slice.endpoints) {
      for (const auto& ip : e.ips) {
        info.slice_addresses.push_back(ip);
        auto w = snapshot.workload_by_ip(ip);
        if (w && std::none_of(info.endpoints.begin(), info.endpoints.end(),
                              [&](const auto& x) { return x == w; })) {
          info.endpoints.push_back(w);
        }
        if (!e.conditions.is_ready()) continue;
        for (size_t i = 0; i < info.ports.size(); ++i) {
          if (auto port = slice_port(slice, info.ports[i])) {
            info.ready_backends[i].push_back({w, ip, *port});
          }
        }
      }
    }
  }
}

}  // namespace

void SnapshotCompiler::index_slice_addresses(const ServiceInfo& info, bool add) {
  std::pair<std::string, std::string> user{info.namespace_, info.name};
  for (const auto& address : info.slice_addresses) {
    IpAddress key = normalize_ip(address);
    auto& users = next_->slice_users_[key];
    std::erase(users, user);
    if (add) {
      users.push_back(user);
    } else if (users.empty()) {
      next_->slice_users_.erase(key);
    }
  }
}

void SnapshotCompiler::recompile_service(NamespaceState& state, const std::string& name) {
  if (auto old = state.service_infos.find(name); old != state.service_infos.end()) {
    index_addresses(old->second, false);
    index_slice_addresses(*old->second, false);
    state.service_infos.erase(old);
    --next_->service_count_;
  }
  auto it = state.services.find(name);
  if (it == state.services.end()) return;
  const auto& svc = std::get<Service>(*it->second);

  auto info = std::make_shared<ServiceInfo>();
  info->name = svc.meta.name;
  info->namespace_ = svc.meta.namespace_;
  info->hostname = svc.hostname();
  info->vips = svc.cluster_ips;
  info->ports = svc.ports;
  info->selector = svc.selector;
  info->ready_backends.resize(svc.ports.size());
  if (!svc.selector.empty()) {
    add_selected(state, *info);
  } else {
    add_from_slices(*next_, state, *info);
  }

  std::shared_ptr<const ServiceInfo> frozen = std::move(info);
  state.service_infos[name] = frozen;
  index_addresses(frozen, true);
  index_slice_addresses(*frozen, true);
  ++next_->service_count_;
}

}  // namespace zmesh::state
