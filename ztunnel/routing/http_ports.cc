#include "routing/http_ports.h"

#include <string_view>

#include "route/header_list.h"

namespace zmesh::routing {
namespace {

bool http2_protocol_name(std::string_view p) {
  return route::iequals(p, "http2") || route::iequals(p, "grpc") || route::iequals(p, "grpc-web") ||
         route::iequals(p, "kubernetes.io/h2c");
}

bool http_protocol_name(std::string_view p) {
  return route::iequals(p, "http") || http2_protocol_name(p);
}

// appProtocol when set, else the port name up to its first '-' (Istio's protocol sniffing
// off, as on a mesh with explicit protocols).
std::string_view declared_protocol(const state::ServicePort& port) {
  if (!port.app_protocol.empty()) return port.app_protocol;
  std::string_view name = port.name;
  return name.substr(0, name.find('-'));
}

}  // namespace

bool port_declares_http(const state::ServicePort& port) {
  return http_protocol_name(declared_protocol(port));
}

bool port_declares_http2(const state::ServicePort& port) {
  return http2_protocol_name(declared_protocol(port));
}

}  // namespace zmesh::routing
