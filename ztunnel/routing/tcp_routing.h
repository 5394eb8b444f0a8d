// VirtualService tls[] and tcp[] routes for connections that stay byte streams: the first
// tls[] route whose sniHosts match the ClientHello, else the first tcp[] route matching the
// connection (port, destinationSubnets, sourceLabels, sourceNamespace), picks a weighted
// destination (host, subset, port), which the DestinationRule's subsets and load balancer turn
// into one endpoint, as Envoy's tcp_proxy with weighted clusters does.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>

#include "routing/worker_routes.h"
#include "state/snapshot.h"

namespace zmesh::routing {

struct TcpRouted {
  std::optional<state::Target> target;  // nullopt: the route leads nowhere (`error` says why)
  std::string route;                    // "<vs namespace>/<vs name>#<index>"
  std::string error;
};

// Whether the Service dialed has tls[] routes, so the caller should read the SNI first.
bool tls_routes_apply(WorkerRoutes& routes, const std::shared_ptr<const state::Snapshot>& snapshot,
                      const boost::asio::ip::tcp::endpoint& original);

// nullopt when no route applies: a port that speaks HTTP, no VirtualService with tcp/tls
// routes for the Service dialed, or none of its routes matching. The caller then resolves
// the Service as usual (Istio's default TCP route). `sni`: the ClientHello's server name.
std::optional<TcpRouted> route_tcp(WorkerRoutes& routes,
                                   const std::shared_ptr<const state::Snapshot>& snapshot,
                                   const state::Workload* source,
                                   const boost::asio::ip::tcp::endpoint& original,
                                   std::optional<std::string_view> sni = std::nullopt);

}  // namespace zmesh::routing
