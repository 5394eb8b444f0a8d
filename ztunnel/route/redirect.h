// HTTPRedirect answered locally, as Envoy does with Istio's translation (ApplyRedirect):
// Location built from the request with scheme, host, port and path replaced as configured,
// the query string kept, status 301 unless redirectCode says otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "route/compiled_match.h"
#include "route/request_view.h"
#include "state/http_route.h"

namespace zmesh::route {

struct RedirectResponse {
  uint32_t status = 301;
  std::string location;
};

// `matched` selected the route: prefixRewrite replaces what it matched. nullopt for a 3xx
// Envoy has no redirect code for (only 301, 302, 303, 307, 308): Istio logs "not yet
// supported" and drops the route's action, so the route cannot answer.
std::optional<RedirectResponse> redirect_response(const state::HttpRedirect& redirect,
                                                  const RequestView& request,
                                                  const CompiledMatch& matched);

}  // namespace zmesh::route
