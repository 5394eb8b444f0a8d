#include "route/authority_rewrite.h"

#include "route/header_list.h"

namespace zmesh::route {
namespace {

std::optional<std::string> find_authority(const std::map<std::string, std::string>& m) {
  std::optional<std::string> out;
  for (const auto& [name, value] : m) {
    if (iequals(name, ":authority") || iequals(name, "host")) out = value;  // last one wins
  }
  if (out && out->empty()) return std::nullopt;  // Istio tests for "", not for presence
  return out;
}

}  // namespace

std::optional<std::string> authority_from_header_ops(const state::HeaderOperations& ops) {
  if (auto set = find_authority(ops.set)) return set;
  return find_authority(ops.add);
}

std::optional<std::string> rewritten_authority(const state::HttpRoute& route,
                                               std::optional<size_t> destination) {
  if (route.rewrite && !route.rewrite->authority.empty()) return route.rewrite->authority;
  if (auto a = authority_from_header_ops(route.headers.request)) return a;
  if (destination && *destination < route.route.size()) {
    return authority_from_header_ops(route.route[*destination].headers.request);
  }
  return std::nullopt;
}

}  // namespace zmesh::route
