#include "route/route_table.h"

#include <algorithm>

namespace zmesh::route {
namespace {

bool for_mesh(const state::VirtualService& vs) {
  return vs.gateways.empty() ||
         std::find(vs.gateways.begin(), vs.gateways.end(), "mesh") != vs.gateways.end();
}

}  // namespace

RouteTable RouteTable::build(std::span<const state::VirtualService* const> virtual_services) {
  RouteTable t;
  for (const state::VirtualService* vs : virtual_services) {
    if (vs == nullptr || !for_mesh(*vs)) continue;
    for (const state::HttpRoute& http : vs->http) {
      const size_t index = t.routes_->size();
      CompiledRoute r{http, vs->meta.namespace_, vs->meta.name, {}};
      if (http.rewrite) r.rewrite = PathRewrite::compile(*http.rewrite, &t.errors_);
      t.routes_->push_back(std::move(r));
      if (http.match.empty()) {
        t.entries_.push_back({index, http.name, CompiledMatch::compile(nullptr, &t.errors_)});
        continue;
      }
      for (const state::HttpMatchRequest& m : http.match) {
        std::string name = m.name.empty() ? http.name : http.name + "." + m.name;
        t.entries_.push_back({index, std::move(name), CompiledMatch::compile(&m, &t.errors_)});
      }
    }
  }
  return t;
}

std::optional<SelectedRoute> RouteTable::select(const RequestView& request) const {
  for (const Entry& e : entries_) {
    if (!e.match.matches(request)) continue;
    return SelectedRoute{e.route, e.name, &(*routes_)[e.route], &e.match};
  }
  return std::nullopt;
}

}  // namespace zmesh::route
