#include "state/snapshot_compiler.h"

#include <algorithm>

#include "state/ip_key.h"
#include "state/namespace_state.h"
#include "state/selector.h"
#include "state/workload_builder.h"

namespace zmesh::state {
namespace {

// More changed pods than this in one namespace: recompile all its Services once rather
// than testing each pod against each selector.
constexpr size_t kBulkPods = 16;

std::string label_key(const std::string& key, const std::string& value) {
  return key + "=" + value;
}

std::string object_key(const ObjectMeta& meta) {
  return meta.namespace_.empty() ? meta.name : meta.namespace_ + "/" + meta.name;
}

bool live(const Pod& pod) {
  return !pod.terminated() && !pod.pod_ips.empty();
}

}  // namespace

NamespaceState& SnapshotCompiler::owned_namespace(const std::string& name) {
  auto& slot = next_->namespaces_[name];
  if (!slot) {
    slot = std::make_shared<NamespaceState>();
  } else if (slot.use_count() > 1) {
    slot = std::make_shared<NamespaceState>(*slot);  // shared with the base: copy on write
  }
  return *slot;
}

ObjectMap& SnapshotCompiler::owned_kind(size_t index) {
  auto& slot = next_->kinds_[index];
  if (!slot) {
    slot = std::make_shared<ObjectMap>();
  } else if (slot.use_count() > 1) {
    slot = std::make_shared<ObjectMap>(*slot);
  }
  return *slot;
}

void SnapshotCompiler::apply(const ObjectChange& change) {
  const ObjectPtr& any = change.after ? change.after : change.before;
  if (!any) return;
  const ObjectMeta& meta = meta_of(*any);
  const std::string& ns = meta.namespace_;
  auto put = [&](std::map<std::string, ObjectPtr>& map) {
    if (change.after) {
      map[meta.name] = change.after;
    } else {
      map.erase(meta.name);
    }
  };

  if (std::holds_alternative<Pod>(*any)) {
    NamespaceState& state = owned_namespace(ns);
    put(state.pods);
    auto& changed = pods_changed_[ns];
    if (changed.count(meta.name) == 0) {
      auto w = state.workloads.find(meta.name);
      changed.emplace(meta.name, w == state.workloads.end() ? nullptr : w->second);
    }
  } else if (std::holds_alternative<Service>(*any)) {
    put(owned_namespace(ns).services);
    services_changed_[ns].insert(meta.name);
  } else if (std::holds_alternative<EndpointSlice>(*any)) {
    NamespaceState& state = owned_namespace(ns);
    for (const auto& version : {change.before, change.after}) {
      if (!version) continue;
      std::string service = std::get<EndpointSlice>(*version).service_name();
      if (service.empty()) continue;
      services_changed_[ns].insert(service);
      if (version == change.before) state.slices_by_service[service].erase(meta.name);
    }
    if (change.after) {
      std::string service = std::get<EndpointSlice>(*change.after).service_name();
      if (!service.empty()) state.slices_by_service[service].insert(meta.name);
    }
    put(state.slices);
  } else {
    ObjectMap& map = owned_kind(any->index());
    if (change.after) {
      map[object_key(meta)] = change.after;
    } else {
      map.erase(object_key(meta));
    }
    kinds_changed_.set(any->index());
    if (std::holds_alternative<Namespace>(*any)) {
      owned_namespace(meta.name).object = change.after;
      namespaces_changed_.insert(meta.name);
    }
  }
}

std::shared_ptr<const Snapshot> SnapshotCompiler::finish() {
  for (const auto& ns : namespaces_changed_) recompile_ambient(ns);

  for (const auto& [ns, pods] : pods_changed_) {
    NamespaceState& state = owned_namespace(ns);
    bool bulk = pods.size() > kBulkPods;
    for (const auto& [name, before] : pods) {
      recompile_workload(state, name, before);
      if (!bulk) mark_services_of(ns, state, before, name);
    }
    if (bulk) {
      for (const auto& [name, svc] : state.services) services_changed_[ns].insert(name);
    }
  }

  for (const auto& [ns, names] : services_changed_) {
    NamespaceState& state = owned_namespace(ns);
    for (const auto& name : names) recompile_service(state, name);
  }

  if (kinds_changed_.test(object_index<PeerAuthentication>())) {
    next_->mtls_ = std::make_shared<const MtlsPolicies>(next_->copies<PeerAuthentication>(),
                                                        next_->root_namespace_);
  }
  if (kinds_changed_.test(object_index<AuthorizationPolicy>())) {
    next_->authz_ = std::make_shared<const AuthzPolicies>(next_->copies<AuthorizationPolicy>(),
                                                          next_->root_namespace_);
  }
  if (kinds_changed_.test(object_index<RequestAuthentication>())) {
    next_->request_authns_ = std::make_shared<const RequestAuthns>(
        next_->copies<RequestAuthentication>(), next_->root_namespace_);
  }
  if (kinds_changed_.test(object_index<ConfigMap>())) recompile_mesh_config();

  // Namespaces left with nothing in them go.
  std::set<std::string> touched = namespaces_changed_;
  for (const auto& [ns, pods] : pods_changed_) touched.insert(ns);
  for (const auto& [ns, names] : services_changed_) touched.insert(ns);
  for (const auto& ns : touched) {
    const auto* state = next_->namespaces_.find(ns);
    if (state != nullptr && (*state)->empty()) next_->namespaces_.erase(ns);
  }
  return std::move(next_);
}

void SnapshotCompiler::recompile_mesh_config() {
  std::shared_ptr<const MeshConfig> mesh;
  if (const auto& maps = next_->kinds_[object_index<ConfigMap>()]) {
    auto it = maps->find(next_->root_namespace_ + "/" + kMeshConfigMapName);
    if (it != maps->end()) mesh = std::get<ConfigMap>(*it->second).mesh;
  }
  if (!mesh) mesh = std::make_shared<const MeshConfig>();
  // An update that leaves it as it was (another key, a label) keeps the pointer.
  if (*mesh != *next_->mesh_config_) next_->mesh_config_ = std::move(mesh);
  next_->tracing_ = tracing_settings(*next_->mesh_config_);
}

void SnapshotCompiler::recompile_ambient(const std::string& ns) {
  NamespaceState& state = owned_namespace(ns);
  bool ambient = state.object && std::get<Namespace>(*state.object).ambient();
  if (ambient == state.ambient) return;
  state.ambient = ambient;
  auto& changed = pods_changed_[ns];
  for (const auto& [name, w] : state.workloads) changed.try_emplace(name, w);
}

void SnapshotCompiler::recompile_workload(NamespaceState& state, const std::string& name,
                                          const std::shared_ptr<const Workload>& before) {
  if (before) {
    next_->workloads_.erase(before->uid);
    for (const auto& ip : before->ips) {
      auto& at = next_->by_ip_[normalize_ip(ip)];
      std::erase_if(at, [&](const auto& w) { return w->uid == before->uid; });
      if (at.empty()) next_->by_ip_.erase(normalize_ip(ip));
    }
    for (const auto& [key, value] : before->labels) {
      auto it = state.pods_by_label.find(label_key(key, value));
      if (it == state.pods_by_label.end()) continue;
      it->second.erase(name);
      if (it->second.empty()) state.pods_by_label.erase(it);
    }
  }
  auto pod_it = state.pods.find(name);
  if (pod_it == state.pods.end()) {
    state.workloads.erase(name);
    return;
  }
  const Pod& pod = std::get<Pod>(*pod_it->second);
  auto w = std::make_shared<const Workload>(make_workload(pod, state.ambient));
  state.workloads[name] = w;
  next_->workloads_.set(w->uid, w);
  if (!live(pod)) return;
  for (const auto& [key, value] : w->labels)
    state.pods_by_label[label_key(key, value)].insert(name);
  if (pod.host_network) return;  // the node's IPs are not this pod's
  for (const auto& ip : w->ips) {
    auto& at = next_->by_ip_[normalize_ip(ip)];
    auto pos = std::lower_bound(at.begin(), at.end(), w->uid,
                                [](const auto& a, const std::string& uid) { return a->uid < uid; });
    at.insert(pos, w);
  }
}

void SnapshotCompiler::mark_services_of(const std::string& ns, const NamespaceState& state,
                                        const std::shared_ptr<const Workload>& before,
                                        const std::string& name) {
  auto after_it = state.workloads.find(name);
  const Workload* after = after_it == state.workloads.end() ? nullptr : after_it->second.get();
  for (const auto& [svc_name, info] : state.service_infos) {
    bool reached = false;
    if (!info->selector.empty()) {
      reached = (before && selector_matches(info->selector, before->labels)) ||
                (after && selector_matches(info->selector, after->labels));
    }
    if (reached) services_changed_[ns].insert(svc_name);
  }
  // Services without selector whose EndpointSlices list one of its addresses, in any
  // namespace (slices may name any IP).
  for (const Workload* w : {before.get(), after}) {
    if (w == nullptr) continue;
    for (const auto& ip : w->ips) {
      if (const auto* users = next_->slice_users_.find(normalize_ip(ip))) {
        for (const auto& [user_ns, user] : *users) services_changed_[user_ns].insert(user);
      }
    }
  }
}

void SnapshotCompiler::index_addresses(const std::shared_ptr<const ServiceInfo>& info, bool add) {
  auto order = [](const auto& a, const auto& b) {
    return std::tie(a->namespace_, a->name) < std::tie(b->namespace_, b->name);
  };
  if (add) {
    next_->by_host_.set(info->hostname, info);
  } else {
    next_->by_host_.erase(info->hostname);
  }
  for (const auto& vip : info->vips) {
    IpAddress key = normalize_ip(vip);
    auto& at = next_->by_vip_[key];
    if (add) {
      at.insert(std::lower_bound(at.begin(), at.end(), info, order), info);
    } else {
      std::erase_if(at, [&](const auto& s) { return s == info; });
      if (at.empty()) next_->by_vip_.erase(key);
    }
  }
}

std::shared_ptr<const Snapshot> Snapshot::with(const std::vector<ObjectChange>& changes) const {
  SnapshotCompiler compiler(*this);
  for (const auto& change : changes) compiler.apply(change);
  return compiler.finish();
}

std::shared_ptr<const Snapshot> Snapshot::build(ConfigSet objects, const BuildOptions& options) {
  std::vector<ObjectChange> changes;
  auto add = [&](auto& list) {
    for (auto& o : list) changes.push_back({nullptr, std::make_shared<const Object>(std::move(o))});
  };
  add(objects.namespaces);
  add(objects.pods);
  add(objects.services);
  add(objects.endpoint_slices);
  add(objects.service_accounts);
  add(objects.virtual_services);
  add(objects.destination_rules);
  add(objects.peer_authentications);
  add(objects.authorization_policies);
  add(objects.request_authentications);
  add(objects.config_maps);
  return Snapshot(options).with(changes);
}

std::shared_ptr<const Snapshot> Snapshot::build(
    const std::vector<Namespace>& namespaces, const std::vector<Pod>& pods,
    const std::vector<Service>& services,
    const std::vector<PeerAuthentication>& peer_authentications, const BuildOptions& options) {
  ConfigSet objects;
  objects.namespaces = namespaces;
  objects.pods = pods;
  objects.services = services;
  objects.peer_authentications = peer_authentications;
  return build(std::move(objects), options);
}

}  // namespace zmesh::state
