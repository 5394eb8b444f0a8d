// The http[] routes of the VirtualServices for one host, compiled once and evaluated per
// request in order: the first route with a matching match[] entry wins (entries ORed, fields
// ANDed); a route without match[] matches everything. No match: the caller answers 404 with
// flag NR.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "route/compiled_match.h"
#include "route/path_rewrite.h"
#include "route/request_view.h"
#include "state/virtual_service.h"

namespace zmesh::route {

// One http[] route with what it came from and what is compiled for it.
struct CompiledRoute {
  state::HttpRoute spec;
  std::string vs_namespace;  // resolves short destination hosts; names the route in logs
  std::string vs_name;
  PathRewrite rewrite;  // empty without spec.rewrite
};

struct SelectedRoute {
  size_t index = 0;       // of the route in table order (0-based, across VirtualServices)
  std::string_view name;  // Istio's route name: route.name, plus "." + match.name if named
  const CompiledRoute* route = nullptr;
  const CompiledMatch* match = nullptr;  // what matched: prefix rewrites need it
};

class RouteTable {
 public:
  RouteTable() = default;  // no routes: everything is NR

  // The VirtualServices' routes are concatenated in the order given (the caller orders them;
  // Istio puts the oldest first). A VirtualService whose `gateways` does not name "mesh" is
  // not for the mesh and is skipped. Regexes RE2 refuses end up in errors().
  static RouteTable build(std::span<const state::VirtualService* const> virtual_services);

  std::optional<SelectedRoute> select(const RequestView& request) const;

  const std::vector<CompiledRoute>& routes() const { return *routes_; }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  struct Entry {  // one match[] entry of one route, in evaluation order
    size_t route;
    std::string name;
    CompiledMatch match;
  };
  // Routes live behind a pointer so Entry and SelectedRoute pointers survive moves.
  std::shared_ptr<std::vector<CompiledRoute>> routes_ =
      std::make_shared<std::vector<CompiledRoute>>();
  std::vector<Entry> entries_;
  std::vector<std::string> errors_;
};

}  // namespace zmesh::route
