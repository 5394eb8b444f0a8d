#include "state/snapshot.h"

#include <spdlog/spdlog.h>

#include "state/workload_builder.h"

namespace zmesh::state {
namespace {

// A v4-mapped IPv6 address (::ffff:a.b.c.d, seen by connect6 on dual-stack sockets) is
// the IPv4 address for every lookup.
IpAddress normalize(const IpAddress& ip) {
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6());
  }
  return ip;
}

bool selector_matches(const Labels& selector, const Labels& labels) {
  if (selector.empty()) return false;  // no selector: endpoints are managed elsewhere
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

// The port a pod serves a service port on, or 0 when it has no container port of that name.
uint16_t target_port_on(const ServicePort& sp, const Workload& w) {
  if (sp.target_port_name.empty()) return sp.target_port != 0 ? sp.target_port : sp.port;
  for (const auto& cp : w.ports) {
    if (cp.name == sp.target_port_name && cp.protocol == sp.protocol) return cp.port;
  }
  return 0;
}

// The pod IP to dial: same family as the address the app dialed, else the first one.
const IpAddress& pick_ip(const Workload& w, const IpAddress& dialed) {
  for (const auto& ip : w.ips) {
    if (ip.is_v4() == dialed.is_v4()) return ip;
  }
  return w.ips.front();
}

struct Candidate {
  std::shared_ptr<const Workload> workload;
  const Pod* pod;
};

}  // namespace

std::shared_ptr<const Workload> Snapshot::workload_by_ip(const IpAddress& ip) const {
  auto it = by_ip_.find(normalize(ip).to_string());
  return it == by_ip_.end() ? nullptr : it->second;
}

std::shared_ptr<const Workload> Snapshot::workload_by_uid(const std::string& uid) const {
  auto it = by_uid_.find(uid);
  return it == by_uid_.end() ? nullptr : it->second;
}

std::shared_ptr<const ServiceInfo> Snapshot::service_by_vip(const IpAddress& ip) const {
  auto it = by_vip_.find(normalize(ip).to_string());
  return it == by_vip_.end() ? nullptr : it->second;
}

bool Snapshot::namespace_ambient(const std::string& ns) const {
  auto it = ns_ambient_.find(ns);
  return it != ns_ambient_.end() && it->second;
}

std::optional<Target> Snapshot::resolve(const boost::asio::ip::tcp::endpoint& orig_dst,
                                        uint64_t& rr) const {
  IpAddress ip = normalize(orig_dst.address());
  if (auto svc = service_by_vip(ip)) {
    for (size_t i = 0; i < svc->ports.size(); ++i) {
      const ServicePort& sp = svc->ports[i];
      if (sp.port != orig_dst.port() || sp.protocol != "TCP") continue;
      const auto& backends = svc->ready_backends[i];
      if (backends.empty()) return std::nullopt;
      const Backend& b = backends[rr++ % backends.size()];
      return Target{b.workload, svc, {pick_ip(*b.workload, ip), b.port}};
    }
    return std::nullopt;
  }
  return Target{workload_by_ip(ip), nullptr, {ip, orig_dst.port()}};
}

MtlsMode Snapshot::mtls_mode(const Workload& w, uint16_t port) const {
  return mtls_.mode(w.namespace_, w.labels, port);
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

std::shared_ptr<const Snapshot> Snapshot::build(ConfigSet objects, const BuildOptions& options) {
  auto s = std::make_shared<Snapshot>();
  s->objects_ = std::move(objects);
  const ConfigSet& o = s->objects_;  // stable from here on: candidates point into it
  s->root_namespace_ = options.root_namespace;
  s->mtls_ = MtlsPolicies(o.peer_authentications, options.root_namespace);
  s->authz_ = AuthzPolicies(o.authorization_policies, options.root_namespace);
  for (const auto& ns : o.namespaces) s->ns_ambient_[ns.meta.name] = ns.ambient();

  // Endpoint candidates per namespace: live pods with an IP.
  std::unordered_map<std::string, std::vector<Candidate>> by_namespace;
  for (const auto& pod : o.pods) {
    auto w = std::make_shared<const Workload>(
        make_workload(pod, s->namespace_ambient(pod.meta.namespace_)));
    s->workloads_.push_back(w);
    s->by_uid_.emplace(w->uid, w);
    if (pod.terminated() || w->ips.empty()) continue;
    by_namespace[w->namespace_].push_back({w, &pod});
    if (pod.host_network) continue;  // the node's IPs are not this pod's
    for (const auto& ip : w->ips) {
      auto [it, inserted] = s->by_ip_.emplace(normalize(ip).to_string(), w);
      if (!inserted)
        spdlog::debug("snapshot: {} and {} share IP {}", it->second->uid, w->uid, ip.to_string());
    }
  }

  for (const auto& svc : o.services) {
    auto info = std::make_shared<ServiceInfo>();
    info->name = svc.meta.name;
    info->namespace_ = svc.meta.namespace_;
    info->hostname = svc.hostname();
    info->vips = svc.cluster_ips;
    info->ports = svc.ports;
    info->selector = svc.selector;
    info->ready_backends.resize(svc.ports.size());
    for (const auto& c : by_namespace[svc.meta.namespace_]) {
      if (!selector_matches(svc.selector, c.workload->labels)) continue;
      info->endpoints.push_back(c.workload);
      if (!c.workload->ready) continue;
      for (size_t i = 0; i < svc.ports.size(); ++i) {
        if (uint16_t port = target_port_on(svc.ports[i], *c.workload)) {
          info->ready_backends[i].push_back({c.workload, port});
        }
      }
    }
    std::shared_ptr<const ServiceInfo> frozen = std::move(info);
    s->services_.push_back(frozen);
    for (const auto& vip : frozen->vips) s->by_vip_.emplace(normalize(vip).to_string(), frozen);
  }
  return s;
}

}  // namespace zmesh::state
