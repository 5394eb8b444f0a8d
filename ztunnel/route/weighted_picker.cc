#include "route/weighted_picker.h"

#include <algorithm>
#include <cmath>

namespace zmesh::route {

namespace {

std::vector<int32_t> weights_of(std::span<const state::HttpRouteDestination> destinations) {
  std::vector<int32_t> w;
  w.reserve(destinations.size());
  for (const auto& d : destinations) w.push_back(d.weight);
  return w;
}

}  // namespace

WeightedPicker::WeightedPicker(std::span<const state::HttpRouteDestination> destinations)
    : WeightedPicker(std::span<const int32_t>(weights_of(destinations))) {}

WeightedPicker::WeightedPicker(std::span<const int32_t> weights) {
  if (weights.size() == 1) {
    slots_.push_back({1, 0});
    total_ = 1;
    return;
  }
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0) continue;
    total_ += static_cast<uint64_t>(weights[i]);
    slots_.push_back({total_, i});
  }
}

std::optional<size_t> WeightedPicker::pick(uint64_t random) const {
  if (total_ == 0) return std::nullopt;
  const uint64_t point = random % total_;
  auto it = std::upper_bound(slots_.begin(), slots_.end(), point,
                             [](uint64_t p, const Slot& s) { return p < s.end; });
  return it->index;
}

std::optional<size_t> WeightedPicker::pick_unit(double unit_random) const {
  if (total_ == 0) return std::nullopt;
  double scaled = std::floor(std::clamp(unit_random, 0.0, 1.0) * static_cast<double>(total_));
  uint64_t point = std::min(static_cast<uint64_t>(scaled), total_ - 1);
  return pick(point);
}

}  // namespace zmesh::route
