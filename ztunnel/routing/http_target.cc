#include "routing/http_target.h"

#include "routing/http_ports.h"
#include "state/ip_key.h"
#include "state/selector.h"

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

bool inbound_speaks_http(const L7Config& config, const state::Workload& workload, uint16_t port) {
  const auto* service = config.snapshot()->service_for_port(workload, port);
  if (!service) return false;
  for (const auto& sp : service->ports) {
    if (sp.protocol != "TCP" || state::target_port_on(sp, workload) != port) continue;
    if (port_declares_http(sp) || config.routes_for(service->hostname)) return true;
  }
  return false;
}

}  // namespace zmesh::routing
