// Snapshot lookups and listings. Compilation (build, with) is in snapshot_compiler.cc.
#include "state/snapshot.h"

#include <algorithm>
#include <string_view>

#include "state/ip_key.h"
#include "state/namespace_state.h"
#include "state/selector.h"

namespace zmesh::state {
namespace {

// The pod IP to dial: same family as the address the app dialed, else the first one.
const IpAddress& pick_ip(const Workload& w, const IpAddress& dialed) {
  for (const auto& ip : w.ips) {
    if (ip.is_v4() == dialed.is_v4()) return ip;
  }
  return w.ips.front();
}

}  // namespace

size_t IpHash::operator()(const IpAddress& ip) const {
  if (ip.is_v4()) return std::hash<uint32_t>{}(ip.to_v4().to_uint());
  auto bytes = ip.to_v6().to_bytes();
  return std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::shared_ptr<const Workload> Snapshot::workload_by_ip(const IpAddress& ip) const {
  const WorkloadsAt* at = by_ip_.find(normalize_ip(ip));
  return at == nullptr || at->empty() ? nullptr : at->front();
}

std::shared_ptr<const Workload> Snapshot::workload_by_uid(const std::string& uid) const {
  const auto* w = workloads_.find(uid);
  return w == nullptr ? nullptr : *w;
}

std::shared_ptr<const ServiceInfo> Snapshot::service_by_vip(const IpAddress& ip) const {
  const ServicesAt* at = by_vip_.find(normalize_ip(ip));
  return at == nullptr || at->empty() ? nullptr : at->front();
}

std::shared_ptr<const ServiceInfo> Snapshot::service_by_host(const std::string& hostname) const {
  const auto* svc = by_host_.find(hostname);
  return svc == nullptr ? nullptr : *svc;
}

bool Snapshot::namespace_ambient(const std::string& ns) const {
  const auto* state = namespaces_.find(ns);
  return state != nullptr && (*state)->ambient;
}

std::optional<Target> Snapshot::resolve(const boost::asio::ip::tcp::endpoint& orig_dst,
                                        uint64_t& rr) const {
  IpAddress ip = normalize_ip(orig_dst.address());
  if (auto svc = service_by_vip(ip)) {
    for (size_t i = 0; i < svc->ports.size(); ++i) {
      const ServicePort& sp = svc->ports[i];
      if (sp.port != orig_dst.port() || sp.protocol != "TCP") continue;
      const auto& backends = svc->ready_backends[i];
      if (backends.empty()) return std::nullopt;
      const Backend& b = backends[rr++ % backends.size()];
      const IpAddress& dial = b.workload ? pick_ip(*b.workload, ip) : b.address;
      return Target{b.workload, svc, {dial, b.port}};
    }
    return std::nullopt;
  }
  return Target{workload_by_ip(ip), nullptr, {ip, orig_dst.port()}};
}

namespace {

// A Service of the workload's namespace selects it: by label selector, or (no selector) its
// EndpointSlices name it.
bool service_selects(const ServiceInfo& svc, const Workload& w) {
  if (!svc.selector.empty()) return selector_matches(svc.selector, w.labels);
  return std::any_of(svc.endpoints.begin(), svc.endpoints.end(),
                     [&](const auto& e) { return e->uid == w.uid; });
}

}  // namespace

const ServiceInfo* Snapshot::service_for_port(const Workload& workload, uint16_t port) const {
  const auto* state = namespaces_.find(workload.namespace_);
  if (state == nullptr) return nullptr;
  for (const auto& [name, svc] : (*state)->service_infos) {
    if (!service_selects(*svc, workload)) continue;
    for (const auto& sp : svc->ports) {
      if (target_port_on(sp, workload) == port) return svc.get();
    }
  }
  return nullptr;
}

ApplicablePolicies Snapshot::authz_policies_for(const Workload& w,
                                                std::optional<uint16_t> port) const {
  auto out = authz_->policies_for(w.namespace_, w.labels);
  if (!authz_->has_service_targets(w.namespace_)) return out;
  const auto* state = namespaces_.find(w.namespace_);
  if (state == nullptr) return out;
  ApplicablePolicies attached;
  for (const auto& [name, svc] : (*state)->service_infos) {
    if (!service_selects(*svc, w)) continue;
    if (port && std::none_of(svc->ports.begin(), svc->ports.end(),
                             [&](const ServicePort& sp) { return target_port_on(sp, w) == *port; }))
      continue;
    authz_->add_service_targets(w.namespace_, svc->name, attached);
  }
  // A policy attached to two Services selecting `w` (or naming one twice) counts once.
  auto merge = [](std::vector<const AuthorizationPolicy*>& into,
                  const std::vector<const AuthorizationPolicy*>& more) {
    for (const auto* p : more)
      if (std::find(into.begin(), into.end(), p) == into.end()) into.push_back(p);
  };
  merge(out.custom, attached.custom);
  merge(out.deny, attached.deny);
  merge(out.allow, attached.allow);
  merge(out.audit, attached.audit);
  merge(out.dry_run, attached.dry_run);
  return out;
}

MtlsMode Snapshot::mtls_mode(const Workload& w, uint16_t port) const {
  return mtls_->mode(w.namespace_, w.labels, port);
}

std::vector<std::shared_ptr<const Workload>> Snapshot::workloads() const {
  std::vector<std::shared_ptr<const Workload>> out;
  out.reserve(workloads_.size());
  workloads_.for_each([&](const std::string&, const auto& w) { out.push_back(w); });
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->uid < b->uid; });
  return out;
}

std::vector<std::shared_ptr<const ServiceInfo>> Snapshot::services() const {
  std::vector<std::shared_ptr<const ServiceInfo>> out;
  out.reserve(service_count_);
  namespaces_.for_each([&](const std::string&, const auto& state) {
    for (const auto& [name, svc] : state->service_infos) out.push_back(svc);
  });
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a->namespace_, a->name) < std::tie(b->namespace_, b->name);
  });
  return out;
}

std::vector<EndpointSlice> Snapshot::endpoint_slices() const {
  std::vector<std::pair<std::string, const EndpointSlice*>> sorted;
  namespaces_.for_each([&](const std::string& ns, const auto& state) {
    for (const auto& [name, slice] : state->slices) {
      sorted.emplace_back(ns + "/" + name, &std::get<EndpointSlice>(*slice));
    }
  });
  std::sort(sorted.begin(), sorted.end());
  std::vector<EndpointSlice> out;
  for (const auto& [key, slice] : sorted) out.push_back(*slice);
  return out;
}

}  // namespace zmesh::state
