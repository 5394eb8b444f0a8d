#include "app/connection_limit_sync.h"

#include <spdlog/spdlog.h>

#include "l7/http_ports.h"
#include "l7/l7_config.h"
#include "state/ip_key.h"
#include "upstream/kernel_connection_limits.h"

namespace zmesh::app {
namespace {

// Whether ztunnel handles connections to this Service port as HTTP (l7::l7_target's rule).
// There, maxConnections means what Envoy means, connections from the proxy to the backends,
// which the L7 upstream pool enforces; counting the app's own connections to the VIP in the
// kernel would cap the app's concurrency instead.
bool handled_as_http(const state::Snapshot& snapshot, const l7::L7Config& l7,
                     const boost::asio::ip::tcp::endpoint& vip) {
  auto service = snapshot.service_by_vip(state::normalize_ip(vip.address()));
  if (!service) return false;
  for (const auto& port : service->ports) {
    if (port.port != vip.port() || port.protocol != "TCP") continue;
    return l7::port_declares_http(port) || l7.routes_for(service->hostname) != nullptr;
  }
  return false;
}

}  // namespace

void sync_connection_limits(bpf::Datapath& datapath,
                            const std::shared_ptr<const state::Snapshot>& snapshot) {
  auto limits = upstream::kernel_connection_limits(*snapshot);
  if (!limits.empty()) {
    auto l7 = l7::L7Config::build(snapshot);
    std::erase_if(limits,
                  [&](const auto& entry) { return handled_as_http(*snapshot, *l7, entry.first); });
  }
  auto r = datapath.set_connection_limits(limits);
  if (!r) spdlog::error("bpf: connection limits not updated: {}", r.error().message);
}

}  // namespace zmesh::app
