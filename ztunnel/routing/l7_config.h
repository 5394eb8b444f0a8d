// The L7 view of one snapshot: compiled routes and DestinationRules by fully qualified host.
// Built once per snapshot (config_cache.h keeps one per worker) so the request path only looks
// things up.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "route/route_table.h"
#include "route/weighted_picker.h"
#include "state/destination_rule.h"
#include "state/qualify_host.h"
#include "state/snapshot.h"

namespace zmesh::routing {

using state::qualify_host;  // Istio's short-name rule (state/qualify_host.h)

class L7Config {
 public:
  static std::shared_ptr<const L7Config> build(std::shared_ptr<const state::Snapshot> snapshot);

  // The http routes for `host`, or nullptr when no VirtualService with http routes names it.
  const route::RouteTable* routes_for(const std::string& host) const;
  // The VirtualService whose tcp[] / tls[] routes apply to `host` (the oldest with any).
  const state::VirtualService* tcp_routes_for(const std::string& host) const;
  // The weighted pick of a compiled route (precomputed for every route of every table).
  const route::WeightedPicker& picker(const route::CompiledRoute& route) const;
  // The DestinationRule for requests from `source` to `host`: the oldest rule whose
  // workloadSelector selects `source` (same namespace), else the host's rule without selector,
  // merged as Istio merges several of them (see build()). nullptr when none applies.
  const state::DestinationRule* rule_for(const std::string& host,
                                         const state::Workload* source = nullptr) const;
  // Only the rule picked by workloadSelector, if any (it changes the destination's identity).
  const state::DestinationRule* selected_rule_for(const std::string& host,
                                                  const state::Workload* source) const;

  const std::shared_ptr<const state::Snapshot>& snapshot() const { return snapshot_; }

 private:
  std::shared_ptr<const state::Snapshot> snapshot_;  // keeps the rules' objects alive
  std::unordered_map<std::string, route::RouteTable> routes_;
  std::unordered_map<const route::CompiledRoute*, route::WeightedPicker> pickers_;
  std::unordered_map<std::string, const state::VirtualService*> tcp_;
  std::unordered_map<std::string, std::shared_ptr<const state::DestinationRule>> rules_;
  // Rules with a workloadSelector, oldest first, by host.
  std::unordered_map<std::string, std::vector<std::shared_ptr<const state::DestinationRule>>>
      selected_rules_;
};

}  // namespace zmesh::routing
