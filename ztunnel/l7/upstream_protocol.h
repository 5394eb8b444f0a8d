// Which HTTP version a routed request speaks to its upstream, as Istio configures Envoy's
// clusters: HTTP/2 (h2c with prior knowledge) when the Service port declares HTTP/2 or gRPC,
// when the DestinationRule asks for h2UpgradePolicy UPGRADE, or when the request is gRPC
// (which cannot work over HTTP/1.1: it needs trailers); HTTP/1.1 otherwise. A rule's
// useClientProtocol overrides all that with what the client spoke (Envoy's
// USE_DOWNSTREAM_PROTOCOL, as Istio sets it).
#pragma once

#include <optional>

#include "l7/http_message.h"
#include "state/model.h"
#include "state/traffic_policy.h"

namespace zmesh::routing {
class Destination;
}  // namespace zmesh::routing

namespace zmesh::l7 {

enum class UpstreamProtocol { kHttp1, kHttp2 };

// `port`: the destination Service port, nullptr when unknown. `h2_upgrade`: the merged
// connectionPool.http.h2UpgradePolicy. DO_NOT_UPGRADE keeps an HTTP/1.1 port on HTTP/1.1 but
// does not downgrade a port that declares HTTP/2 (Istio sets such clusters to HTTP/2 whatever
// the rule says).
// `client_http2`: the request arrived as an HTTP/2 stream.
struct ProtocolInputs {
  const state::ServicePort* port = nullptr;
  std::optional<state::HttpSettings::H2Upgrade> h2_upgrade;
  bool use_client_protocol = false;
  bool grpc_request = false;
  bool client_http2 = false;
};
UpstreamProtocol upstream_protocol(const ProtocolInputs& in);

// The same for a request routed to `dest` (its Service port and merged DestinationRule).
UpstreamProtocol upstream_protocol(const routing::Destination& dest, const Request& request,
                                   bool client_http2);

}  // namespace zmesh::l7
