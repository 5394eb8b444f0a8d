// Decoding and Istio's validation (pkg/config/validation virtualservice.go) of a
// VirtualService's http[] route and the destinations shared with tcp[] and tls[].
#pragma once

#include "config/field_reader.h"
#include "state/virtual_service.h"

namespace zmesh::config {

// Destination{host, subset, port}: validateDestination ("*" is not a destination host).
state::RouteDestinationRef decode_destination(const FieldReader& field);

// route[] of tcp[] and tls[]: destinations with weights >= 0, not all 0 when several.
std::vector<state::RouteDestination> decode_route_destinations(const FieldReader& field);

// One http[] entry. `in_delegate`: the VirtualService is a delegate (no hosts), whose routes
// may not delegate further.
state::HttpRoute decode_http_route(const FieldReader& field, bool in_delegate);

// Parts of an http[] entry, in http_match_decoder.cc.
state::HttpMatchRequest decode_http_match(const FieldReader& field);
state::CorsPolicy decode_cors_policy(const FieldReader& field);

}  // namespace zmesh::config
