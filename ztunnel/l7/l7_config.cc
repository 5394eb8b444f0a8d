#include "l7/l7_config.h"

#include <algorithm>
#include <map>
#include <vector>

namespace zmesh::l7 {
namespace {

// Istio lists configs oldest first (creationTimestamp, then namespace/name); no timestamp
// sorts first, like Go's zero time.
template <typename T>
bool older(const std::shared_ptr<const T>& a, const std::shared_ptr<const T>& b) {
  const auto& ma = a->meta;
  const auto& mb = b->meta;
  if (ma.creation_timestamp != mb.creation_timestamp) {
    if (!ma.creation_timestamp) return true;
    if (!mb.creation_timestamp) return false;
    return *ma.creation_timestamp < *mb.creation_timestamp;
  }
  return std::tie(ma.namespace_, ma.name) < std::tie(mb.namespace_, mb.name);
}

}  // namespace

std::string qualify_host(std::string_view host, std::string_view ns) {
  if (host.find('.') != std::string_view::npos || host == "*") return std::string(host);
  return std::string(host) + "." + std::string(ns) + ".svc.cluster.local";
}

std::shared_ptr<const L7Config> L7Config::build(std::shared_ptr<const state::Snapshot> snapshot) {
  auto config = std::make_shared<L7Config>();
  auto vss = snapshot->objects<state::VirtualService>();
  std::sort(vss.begin(), vss.end(), older<state::VirtualService>);
  // For the mesh gateway Istio uses one VirtualService per host: the oldest (sidecars do not
  // merge them; only gateways do). Each host gets its table from that one.
  std::map<std::string, const state::VirtualService*> by_host;
  for (const auto& vs : vss) {
    if (vs->http.empty()) continue;
    for (const auto& h : vs->hosts)
      by_host.try_emplace(qualify_host(h, vs->meta.namespace_), vs.get());
  }
  for (const auto& [host, vs] : by_host) {
    const state::VirtualService* one[] = {vs};
    auto& table = config->routes_[host] = route::RouteTable::build(one);
    if (table.routes().empty()) config->routes_.erase(host);  // e.g. gateways without "mesh"
  }
  for (const auto& [host, table] : config->routes_)
    for (const auto& r : table.routes())
      config->pickers_.emplace(&r, route::WeightedPicker(r.spec.route));

  auto drs = snapshot->objects<state::DestinationRule>();
  std::sort(drs.begin(), drs.end(), older<state::DestinationRule>);
  for (const auto& dr : drs) {
    if (dr->workload_selector) continue;  // selects source workloads: not modelled yet
    config->rules_.try_emplace(qualify_host(dr->host, dr->meta.namespace_), dr);
  }
  config->snapshot_ = std::move(snapshot);
  return config;
}

const route::RouteTable* L7Config::routes_for(const std::string& host) const {
  auto it = routes_.find(host);
  return it == routes_.end() ? nullptr : &it->second;
}

const route::WeightedPicker& L7Config::picker(const route::CompiledRoute& route) const {
  static const route::WeightedPicker kNone;
  auto it = pickers_.find(&route);
  return it == pickers_.end() ? kNone : it->second;
}

const state::DestinationRule* L7Config::rule_for(const std::string& host) const {
  auto it = rules_.find(host);
  return it == rules_.end() ? nullptr : it->second.get();
}

}  // namespace zmesh::l7
