// JSON pieces shared by the config_dump form of the security.istio.io policies.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "state/istio_common.h"
#include "state/model.h"

namespace zmesh::state {

// out[key] = values, unless values is empty (the dump shows what was written).
inline void put_list(nlohmann::json& out, const char* key, const std::vector<std::string>& values) {
  if (!values.empty()) out[key] = values;
}

nlohmann::json target_ref_json(const PolicyTargetReference& ref);

// {"name", "namespace", "selector"?, "targetRef"?, "targetRefs"?, "creationTimestamp"?}:
// selector is {"matchLabels": {...}} as in the YAML.
nlohmann::json policy_header_json(const ObjectMeta& meta, const std::optional<Labels>& selector,
                                  const std::optional<PolicyTargetReference>& target_ref,
                                  const std::vector<PolicyTargetReference>& target_refs);

}  // namespace zmesh::state
