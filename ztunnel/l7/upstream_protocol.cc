#include "l7/upstream_protocol.h"

#include "l7/destination.h"
#include "l7/grpc_status.h"
#include "l7/http_ports.h"

namespace zmesh::l7 {

UpstreamProtocol upstream_protocol(const state::ServicePort* port,
                                   std::optional<state::HttpSettings::H2Upgrade> h2_upgrade,
                                   bool grpc_request) {
  if (grpc_request) return UpstreamProtocol::kHttp2;
  if (port && port_declares_http2(*port)) return UpstreamProtocol::kHttp2;
  if (h2_upgrade == state::HttpSettings::H2Upgrade::kUpgrade) return UpstreamProtocol::kHttp2;
  return UpstreamProtocol::kHttp1;
}

UpstreamProtocol upstream_protocol(const Destination& dest, const Request& request) {
  const state::ServicePort* port = nullptr;
  if (dest.service)
    for (const auto& p : dest.service->ports)
      if (p.port == dest.port) port = &p;
  std::optional<state::HttpSettings::H2Upgrade> upgrade;
  if (const auto& pool = dest.policy.traffic_policy.connection_pool; pool && pool->http)
    upgrade = pool->http->h2_upgrade_policy;
  return upstream_protocol(port, upgrade, is_grpc_request(request));
}

}  // namespace zmesh::l7
