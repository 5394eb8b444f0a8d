#include "upstream/subset.h"

namespace zmesh::upstream {

const state::Subset* find_subset(const state::DestinationRule& rule, std::string_view name) {
  for (const auto& subset : rule.subsets) {
    if (subset.name == name) return &subset;
  }
  return nullptr;
}

bool in_subset(const state::Labels& subset_labels, const state::Labels& endpoint_labels) {
  for (const auto& [key, value] : subset_labels) {
    auto it = endpoint_labels.find(key);
    if (it == endpoint_labels.end() || it->second != value) return false;
  }
  return true;
}

std::vector<size_t> subset_members(const state::Labels& subset_labels,
                                   std::span<const state::Labels> endpoint_labels) {
  std::vector<size_t> out;
  for (size_t i = 0; i < endpoint_labels.size(); ++i) {
    if (in_subset(subset_labels, endpoint_labels[i])) out.push_back(i);
  }
  return out;
}

}  // namespace zmesh::upstream
