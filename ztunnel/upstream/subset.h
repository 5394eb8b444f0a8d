// DestinationRule subsets: which endpoints of the host belong to one (every subset label
// present on the endpoint with the same value; no labels selects every endpoint).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "state/destination_rule.h"

namespace zmesh::upstream {

// The subset called `name`, or nullptr (a route naming an undefined subset has no cluster in
// Istio: the request fails with 503).
const state::Subset* find_subset(const state::DestinationRule& rule, std::string_view name);

bool in_subset(const state::Labels& subset_labels, const state::Labels& endpoint_labels);

// Indices of the endpoints (given by their labels) that are members.
std::vector<size_t> subset_members(const state::Labels& subset_labels,
                                   std::span<const state::Labels> endpoint_labels);

}  // namespace zmesh::upstream
