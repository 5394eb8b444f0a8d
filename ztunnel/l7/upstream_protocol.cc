#include "l7/upstream_protocol.h"

#include "l7/grpc_status.h"
#include "routing/destination.h"
#include "routing/http_ports.h"

namespace zmesh::l7 {

UpstreamProtocol upstream_protocol(const ProtocolInputs& in) {
  if (in.grpc_request) return UpstreamProtocol::kHttp2;
  if (in.use_client_protocol)
    return in.client_http2 ? UpstreamProtocol::kHttp2 : UpstreamProtocol::kHttp1;
  if (in.port && routing::port_declares_http2(*in.port)) return UpstreamProtocol::kHttp2;
  if (in.h2_upgrade == state::HttpSettings::H2Upgrade::kUpgrade) return UpstreamProtocol::kHttp2;
  return UpstreamProtocol::kHttp1;
}

UpstreamProtocol upstream_protocol(const routing::Destination& dest, const Request& request,
                                   bool client_http2) {
  ProtocolInputs in;
  if (dest.service)
    for (const auto& p : dest.service->ports)
      if (p.port == dest.port) in.port = &p;
  if (const auto& pool = dest.policy.traffic_policy.connection_pool; pool && pool->http) {
    in.h2_upgrade = pool->http->h2_upgrade_policy;
    in.use_client_protocol = pool->http->use_client_protocol.value_or(false);
  }
  in.grpc_request = is_grpc_request(request);
  in.client_http2 = client_http2;
  return upstream_protocol(in);
}

}  // namespace zmesh::l7
