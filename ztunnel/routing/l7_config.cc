#include "routing/l7_config.h"

#include <algorithm>
#include <map>
#include <vector>

#include "state/oldest_first.h"
#include "state/selector.h"

namespace zmesh::routing {
namespace {

// Istio's mergeDestinationRule for several rules of one host without workloadSelector, in
// the oldest rule's namespace: subsets are added unless the name is taken (the older one
// wins), and the traffic policy is the oldest rule's, or the first newer one that has one.
// Rules of another namespace for the same host are not merged (the oldest rule owns it).
std::shared_ptr<const state::DestinationRule> merge_rules(const state::DestinationRule& merged,
                                                          const state::DestinationRule& newer) {
  if (newer.meta.namespace_ != merged.meta.namespace_)
    return std::make_shared<const state::DestinationRule>(merged);
  auto out = std::make_shared<state::DestinationRule>(merged);
  for (const auto& s : newer.subsets) {
    bool taken = std::any_of(out->subsets.begin(), out->subsets.end(),
                             [&](const state::Subset& o) { return o.name == s.name; });
    if (!taken) out->subsets.push_back(s);
  }
  if (!out->traffic_policy && newer.traffic_policy) out->traffic_policy = newer.traffic_policy;
  return out;
}

}  // namespace

std::shared_ptr<const L7Config> L7Config::build(std::shared_ptr<const state::Snapshot> snapshot) {
  auto config = std::make_shared<L7Config>();
  auto vss = snapshot->objects<state::VirtualService>();
  state::sort_oldest_first(vss);
  // For the mesh gateway Istio uses one VirtualService per host: the oldest (sidecars do not
  // merge them; only gateways do). Each host gets its table from that one.
  std::map<std::string, const state::VirtualService*> by_host;
  for (const auto& vs : vss) {
    if (!vs->tcp.empty() || !vs->tls.empty())
      for (const auto& h : vs->hosts)
        config->tcp_.try_emplace(qualify_host(h, vs->meta.namespace_), vs.get());
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
  state::sort_oldest_first(drs);
  for (const auto& dr : drs) {
    auto host = qualify_host(dr->host, dr->meta.namespace_);
    if (dr->workload_selector) {
      config->selected_rules_[host].push_back(dr);
      continue;
    }
    auto [it, first] = config->rules_.try_emplace(host, dr);
    if (!first) it->second = merge_rules(*it->second, *dr);
  }
  config->snapshot_ = std::move(snapshot);
  return config;
}

const route::RouteTable* L7Config::routes_for(const std::string& host) const {
  auto it = routes_.find(host);
  return it == routes_.end() ? nullptr : &it->second;
}

const state::VirtualService* L7Config::tcp_routes_for(const std::string& host) const {
  auto it = tcp_.find(host);
  return it == tcp_.end() ? nullptr : it->second;
}

const route::WeightedPicker& L7Config::picker(const route::CompiledRoute& route) const {
  static const route::WeightedPicker kNone;
  auto it = pickers_.find(&route);
  return it == pickers_.end() ? kNone : it->second;
}

const state::DestinationRule* L7Config::selected_rule_for(const std::string& host,
                                                          const state::Workload* source) const {
  if (!source) return nullptr;
  auto it = selected_rules_.find(host);
  if (it == selected_rules_.end()) return nullptr;
  for (const auto& dr : it->second)
    if (dr->meta.namespace_ == source->namespace_ &&
        (dr->workload_selector->empty() ||  // matchLabels {}: every workload of the namespace
         state::selector_matches(*dr->workload_selector, source->labels)))
      return dr.get();
  return nullptr;
}

const state::DestinationRule* L7Config::rule_for(const std::string& host,
                                                 const state::Workload* source) const {
  if (const auto* selected = selected_rule_for(host, source)) return selected;
  auto it = rules_.find(host);
  return it == rules_.end() ? nullptr : it->second.get();
}

}  // namespace zmesh::routing
