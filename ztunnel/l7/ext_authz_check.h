// The pure halves of a CUSTOM AuthorizationPolicy's check against an external authorizer
// speaking Envoy's ext_authz HTTP API (meshConfig extensionProviders[].envoyExtAuthzHttp), as
// Envoy's ext_authz filter makes it in an Istio waypoint (we do it in the destination node):
// - the check request: the client's method and path (pathPrefix first), its Host, no body
//   (Content-Length: 0), the client headers Envoy always sends (Authorization) and those
//   includeRequestHeadersInCheck names (exact, "prefix*", "*suffix"; case-insensitive), then
//   includeAdditionalHeadersInCheck;
// - the verdict: 200 allows, and the authorizer's headers headersToUpstreamOnAllow names go
//   to the app; any other status denies with the authorizer's status, body and the headers
//   headersToDownstreamOnDeny names (all but hop-by-hop ones when it names none); no answer
//   (unreachable, timeout) allows under failOpen, else answers statusOnError (403).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "l7/http_message.h"
#include "state/mesh_config.h"

namespace zmesh::l7 {

// Whether header `name` matches `pattern` ("abc" exact, "abc*" prefix, "*abc" suffix, "*"),
// ignoring case, as Istio's header lists do.
bool header_pattern_matches(std::string_view pattern, std::string_view name);

// The check request for `client` (HTTP/1.1 whatever the client spoke).
Request make_check_request(const Request& client, const state::ExtAuthzHttpProvider& provider);

struct ExtAuthzVerdict {
  bool allowed = false;
  // Denied: the answer to the client (its status is the authorizer's, or statusOnError).
  std::optional<Response> reply;
  // Allowed: headers to set on the request to the app.
  std::vector<std::pair<std::string, std::string>> upstream_headers;
  std::string details;  // Envoy's response-code details: ext_authz_denied / ext_authz_error
};

// `answer`: the authorizer's response, or nullopt when there was none (`error` says why).
// `version`/`grpc`: the client's, for a local answer's shape.
ExtAuthzVerdict ext_authz_verdict(const std::optional<Response>& answer,
                                  const state::ExtAuthzHttpProvider& provider, unsigned version,
                                  bool grpc);

// Sets the verdict's upstream headers on `request` (replacing same-named ones).
void apply_upstream_headers(const ExtAuthzVerdict& verdict, Request& request);

}  // namespace zmesh::l7
