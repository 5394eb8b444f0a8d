#include "routing/http_target.h"

#include "routing/http_ports.h"
#include "state/ip_key.h"

namespace zmesh::routing {

std::optional<L7Target> http_target(const L7Config& config,
                                    const boost::asio::ip::tcp::endpoint& original) {
  auto service = config.snapshot()->service_by_vip(state::normalize_ip(original.address()));
  if (!service) return std::nullopt;
  for (const auto& port : service->ports) {
    if (port.port != original.port() || port.protocol != "TCP") continue;
    if (!port_declares_http(port) && !config.routes_for(service->hostname)) return std::nullopt;
    return L7Target{service, port.port, original};
  }
  return std::nullopt;
}

}  // namespace zmesh::routing
