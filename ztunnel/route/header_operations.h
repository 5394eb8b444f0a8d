// Headers.HeaderOperations applied to a header list the way Envoy applies Istio's
// translation. Values are literal: Envoy's %COMMAND% substitutions are not interpreted.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "route/header_list.h"
#include "state/http_route.h"

namespace zmesh::route {

enum class HeaderDirection { kRequest, kResponse };

// One Envoy header parser made of `blocks` in order: every `remove` of every block first,
// then each block's `set` (overwrite) and `add` (append), names in sorted order as Istio
// emits them. Pseudo-headers and `host` are skipped as Istio drops them (an authority becomes
// a host rewrite: authority_rewrite.h).
void apply_header_operations(HeaderList& headers,
                             std::span<const state::HeaderOperations* const> blocks);

// The route's and the picked destination's operations for one direction. With a single
// destination Istio merges both into the route's parser (route first); with several each
// destination has its own parser, which Envoy runs before the route's, so the route's `set`
// has the last word there.
void apply_route_header_operations(HeaderList& headers, const state::HttpRoute& route,
                                   std::optional<size_t> destination, HeaderDirection direction);

}  // namespace zmesh::route
