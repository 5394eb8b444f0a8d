#include "routing/tcp_routing.h"

#include <variant>

#include "route/l4_route.h"
#include "routing/http_ports.h"
#include "state/ip_key.h"

namespace zmesh::routing {

namespace {

// The VirtualService with tcp/tls routes for the Service port dialed; null when none, or
// when the port speaks HTTP (its routes are http[]).
const state::VirtualService* l4_routes(WorkerRoutes& cache,
                                       const std::shared_ptr<const state::Snapshot>& snapshot,
                                       const boost::asio::ip::tcp::endpoint& original) {
  auto service = snapshot->service_by_vip(state::normalize_ip(original.address()));
  if (!service) return nullptr;
  for (const auto& port : service->ports)
    if (port.port == original.port() && port_declares_http(port)) return nullptr;
  return config_for(cache, snapshot)->tcp_routes_for(service->hostname);
}

}  // namespace

bool tls_routes_apply(WorkerRoutes& routes, const std::shared_ptr<const state::Snapshot>& snapshot,
                      const boost::asio::ip::tcp::endpoint& original) {
  const auto* vs = l4_routes(routes, snapshot, original);
  return vs && !vs->tls.empty();
}

std::optional<TcpRouted> route_tcp(WorkerRoutes& cache,
                                   const std::shared_ptr<const state::Snapshot>& snapshot,
                                   const state::Workload* source,
                                   const boost::asio::ip::tcp::endpoint& original,
                                   std::optional<std::string_view> sni) {
  const state::VirtualService* vs = l4_routes(cache, snapshot, original);
  if (!vs) return std::nullopt;
  auto config = config_for(cache, snapshot);
  auto service = snapshot->service_by_vip(state::normalize_ip(original.address()));

  route::L4Facts facts;
  facts.destination = state::normalize_ip(original.address());
  facts.port = original.port();
  if (source) {
    facts.source_labels = &source->labels;
    facts.source_namespace = source->namespace_;
  }
  facts.sni = sni;
  const std::vector<state::L4Route>* routes = &vs->tls;
  auto index = sni ? route::select_l4_route(vs->tls, facts) : std::nullopt;
  if (!index) {
    routes = &vs->tcp;
    index = route::select_l4_route(vs->tcp, facts);
  }
  if (!index) return std::nullopt;

  TcpRouted out;
  out.route = vs->meta.namespace_ + "/" + vs->meta.name + (routes == &vs->tls ? "#tls" : "#tcp") +
              std::to_string(*index);
  const auto& route = (*routes)[*index];
  auto pick = route::pick_l4_destination(route, cache.rng.next());
  if (!pick) {
    out.error = "tcp route " + out.route + " has no destination with weight";
    return out;
  }
  const auto& ref = route.route[*pick].destination;
  std::string host = qualify_host(ref.host, vs->meta.namespace_);
  uint16_t dest_port = original.port();
  auto dest_service = snapshot->service_by_host(host);
  if (ref.port)
    dest_port = static_cast<uint16_t>(*ref.port);
  else if (dest_service && dest_service != service && dest_service->ports.size() == 1)
    dest_port = dest_service->ports.front().port;

  auto made =
      destination_for(cache, config, host, ref.subset, dest_port, original.address(), source);
  if (auto* err = std::get_if<DestinationError>(&made)) {
    out.error = err->message;
    return out;
  }
  auto& dest = *std::get<std::shared_ptr<Destination>>(made);
  auto chosen = dest.pick({}, std::nullopt);
  if (chosen.kind == upstream::Pick::Kind::kOriginalDestination)
    chosen = dest.original_destination(original.address(), {}, cache.rng.next());
  if (chosen.kind != upstream::Pick::Kind::kEndpoint) {
    out.error = "no healthy upstream for " + dest.key;
    return out;
  }
  out.target =
      state::Target{dest.members[chosen.index].workload, dest.service, dest.targets[chosen.index]};
  return out;
}

}  // namespace zmesh::routing
