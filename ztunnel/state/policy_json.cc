#include "state/policy_json.h"

namespace zmesh::state {

nlohmann::json target_ref_json(const PolicyTargetReference& ref) {
  nlohmann::json out = {{"kind", ref.kind}, {"name", ref.name}};
  if (!ref.group.empty()) out["group"] = ref.group;
  if (!ref.namespace_.empty()) out["namespace"] = ref.namespace_;
  return out;
}

nlohmann::json policy_header_json(const ObjectMeta& meta, const std::optional<Labels>& selector,
                                  const std::optional<PolicyTargetReference>& target_ref,
                                  const std::vector<PolicyTargetReference>& target_refs) {
  nlohmann::json out = {{"name", meta.name}, {"namespace", meta.namespace_}};
  if (selector) out["selector"] = {{"matchLabels", *selector}};
  if (target_ref) out["targetRef"] = target_ref_json(*target_ref);
  if (!target_refs.empty()) {
    auto& refs = out["targetRefs"] = nlohmann::json::array();
    for (const auto& r : target_refs) refs.push_back(target_ref_json(r));
  }
  if (meta.creation_timestamp) out["creationTimestamp"] = format_rfc3339(*meta.creation_timestamp);
  return out;
}

}  // namespace zmesh::state
