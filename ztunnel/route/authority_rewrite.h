// The :authority a routed request goes out with. Istio turns `rewrite.authority` and a `set`
// or `add` of `:authority`/`host` in the header operations into Envoy host rewrites; the
// route-level one wins (Envoy applies it after a weighted destination's), a destination's
// applies only when the route sets none.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "state/http_route.h"

namespace zmesh::route {

// nullopt: keep the request's authority. `destination` indexes route.route (the pick).
std::optional<std::string> rewritten_authority(const state::HttpRoute& route,
                                               std::optional<size_t> destination);

// The host rewrite hidden in header operations: `set` wins over `add`, as in Istio.
std::optional<std::string> authority_from_header_ops(const state::HeaderOperations& ops);

}  // namespace zmesh::route
