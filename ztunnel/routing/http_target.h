// Whether a connection to a Service port is handled as HTTP (routed request by request) rather
// than relayed as bytes: the port declares HTTP (http_ports.h), or a VirtualService with http
// routes names the Service, as Istio's protocol selection and Envoy's HTTP listener do.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <optional>

#include "routing/l7_config.h"
#include "state/snapshot.h"

namespace zmesh::routing {

// Where the app was going: a Service port.
struct L7Target {
  std::shared_ptr<const state::ServiceInfo> service;
  uint16_t port = 0;
  boost::asio::ip::tcp::endpoint original;
};

// The Service port `original` names, when its connections are handled as HTTP under `config`.
std::optional<L7Target> http_target(const L7Config& config,
                                    const boost::asio::ip::tcp::endpoint& original);

// At the destination: whether connections to `workload`'s own `port` (a Service's target port)
// speak HTTP under `config`: the Service that selects it declares that port HTTP, or a
// VirtualService with http routes names the Service.
bool inbound_speaks_http(const L7Config& config, const state::Workload& workload, uint16_t port);

}  // namespace zmesh::routing
