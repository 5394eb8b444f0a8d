// networking.istio.io VirtualService (v1, v1beta1, v1alpha3 share one schema), as written.
// Every field of the API is kept, typed, whether or not the data path uses it yet.
#pragma once

#include <nlohmann/json.hpp>

#include "state/http_route.h"
#include "state/istio_common.h"
#include "state/model.h"

namespace zmesh::state {

// RouteDestination of tcp[] and tls[] routes: a destination and its weight.
struct RouteDestination {
  RouteDestinationRef destination;
  int32_t weight = 0;
};

// L4MatchAttributes (tcp[].match) and TLSMatchAttributes (tls[].match; sniHosts required).
struct L4Match {
  std::vector<std::string> sni_hosts;  // TLS only
  std::vector<std::string> destination_subnets;
  std::optional<uint32_t> port;
  Labels source_labels;
  std::vector<std::string> gateways;
  std::string source_namespace;
  std::string source_subnet;  // deprecated, TCP only
};

struct L4Route {
  std::vector<L4Match> match;
  std::vector<RouteDestination> route;
};

struct VirtualService {
  ObjectMeta meta;
  std::vector<std::string> hosts;     // empty: a delegate, only reachable from another's delegate
  std::vector<std::string> gateways;  // empty: "mesh"
  std::vector<HttpRoute> http;
  std::vector<L4Route> tls;
  std::vector<L4Route> tcp;
  std::vector<std::string> export_to;  // empty: everywhere (mesh default)
};

// The object as config_dump shows it: field names as in the Istio YAML, unset fields left out.
void to_json(nlohmann::json& j, const VirtualService& object);

// Shared with the DestinationRule dump: Duration as protojson writes it ("1.500s").
std::string duration_json(Duration d);

}  // namespace zmesh::state
