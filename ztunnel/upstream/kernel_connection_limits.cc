#include "upstream/kernel_connection_limits.h"

#include "upstream/effective_policy.h"
#include "upstream/service_destination_rule.h"

namespace zmesh::upstream {

std::map<boost::asio::ip::tcp::endpoint, uint32_t> kernel_connection_limits(
    const state::Snapshot& snapshot) {
  std::map<boost::asio::ip::tcp::endpoint, uint32_t> out;
  auto rules = snapshot.objects<state::DestinationRule>();
  if (rules.empty()) return out;
  for (const auto& service : snapshot.services()) {
    const auto* rule = service_destination_rule(rules, *service, snapshot.root_namespace());
    if (!rule) continue;
    for (const auto& port : service->ports) {
      if (port.protocol != "TCP") continue;
      auto policy = effective_policy(rule, "", port.port);
      if (!policy || policy->limits.max_connections == kUnlimited) continue;
      for (const auto& vip : service->vips) out[{vip, port.port}] = policy->limits.max_connections;
    }
  }
  return out;
}

}  // namespace zmesh::upstream
