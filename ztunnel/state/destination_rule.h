// networking.istio.io DestinationRule (v1, v1beta1, v1alpha3 share one schema), as written.
// Every field of the API is kept, typed, whether or not the data path uses it yet.
#pragma once

#include <nlohmann/json.hpp>

#include "state/boxed.h"
#include "state/istio_common.h"
#include "state/model.h"
#include "state/traffic_policy.h"

namespace zmesh::state {

// A named set of the host's endpoints (by label); its policy replaces the rule's block by
// block (MergeTrafficPolicy), and only applies when a route names the subset.
struct Subset {
  std::string name;
  Labels labels;
  std::optional<TrafficPolicy> traffic_policy;
};

struct DestinationRule {
  ObjectMeta meta;
  std::string host;
  Boxed<TrafficPolicy> traffic_policy;  // boxed: see boxed.h
  std::vector<Subset> subsets;
  std::vector<std::string> export_to;
  std::optional<Labels> workload_selector;  // workloadSelector.matchLabels
};

// The object as config_dump shows it: field names as in the Istio YAML, unset fields left out.
void to_json(nlohmann::json& j, const DestinationRule& object);

}  // namespace zmesh::state
