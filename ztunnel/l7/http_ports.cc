#include "l7/http_ports.h"

#include <string_view>

#include "route/header_list.h"

namespace zmesh::l7 {
namespace {

bool http_protocol_name(std::string_view p) {
  return route::iequals(p, "http") || route::iequals(p, "http2") || route::iequals(p, "grpc");
}

}  // namespace

bool port_declares_http(const state::ServicePort& port) {
  if (!port.app_protocol.empty())
    return http_protocol_name(port.app_protocol) ||
           route::iequals(port.app_protocol, "kubernetes.io/h2c");
  std::string_view name = port.name;
  auto dash = name.find('-');
  return http_protocol_name(name.substr(0, dash));
}

}  // namespace zmesh::l7
