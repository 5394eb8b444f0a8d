// Which HTTP version a routed request speaks to its upstream, as Istio configures Envoy's
// clusters: HTTP/2 (h2c with prior knowledge) when the Service port declares HTTP/2 or gRPC,
// when the DestinationRule asks for h2UpgradePolicy UPGRADE, or when the request is gRPC
// (which cannot work over HTTP/1.1: it needs trailers); HTTP/1.1 otherwise.
#pragma once

#include <optional>

#include "l7/http_message.h"
#include "state/model.h"
#include "state/traffic_policy.h"

namespace zmesh::l7 {

class Destination;

enum class UpstreamProtocol { kHttp1, kHttp2 };

// `port`: the destination Service port, nullptr when unknown. `h2_upgrade`: the merged
// connectionPool.http.h2UpgradePolicy. DO_NOT_UPGRADE keeps an HTTP/1.1 port on HTTP/1.1 but
// does not downgrade a port that declares HTTP/2 (Istio sets such clusters to HTTP/2 whatever
// the rule says).
UpstreamProtocol upstream_protocol(const state::ServicePort* port,
                                   std::optional<state::HttpSettings::H2Upgrade> h2_upgrade,
                                   bool grpc_request);

// The same for a request routed to `dest`.
UpstreamProtocol upstream_protocol(const Destination& dest, const Request& request);

}  // namespace zmesh::l7
