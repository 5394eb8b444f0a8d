#include "state/endpoint_slice.h"

namespace zmesh::state {

const char* to_string(EndpointAddressType type) {
  switch (type) {
    case EndpointAddressType::kIPv4:
      return "IPv4";
    case EndpointAddressType::kIPv6:
      return "IPv6";
    case EndpointAddressType::kFqdn:
      return "FQDN";
  }
  return "IPv4";
}

std::string EndpointSlice::service_name() const {
  auto it = meta.labels.find(kServiceNameLabel);
  return it == meta.labels.end() ? "" : it->second;
}

namespace {

nlohmann::json endpoint_json(const Endpoint& e) {
  auto conditions = nlohmann::json::object();
  if (e.conditions.ready) conditions["ready"] = *e.conditions.ready;
  if (e.conditions.serving) conditions["serving"] = *e.conditions.serving;
  if (e.conditions.terminating) conditions["terminating"] = *e.conditions.terminating;
  nlohmann::json out = {{"addresses", e.addresses}, {"conditions", conditions}};
  if (!e.hostname.empty()) out["hostname"] = e.hostname;
  if (!e.node_name.empty()) out["nodeName"] = e.node_name;
  if (!e.zone.empty()) out["zone"] = e.zone;
  if (e.target_ref) {
    nlohmann::json ref = {{"kind", e.target_ref->kind}, {"name", e.target_ref->name}};
    if (!e.target_ref->namespace_.empty()) ref["namespace"] = e.target_ref->namespace_;
    if (!e.target_ref->uid.empty()) ref["uid"] = e.target_ref->uid;
    out["targetRef"] = std::move(ref);
  }
  return out;
}

nlohmann::json port_json(const EndpointPort& p) {
  nlohmann::json out = {{"name", p.name}, {"protocol", p.protocol}};
  out["port"] = p.port ? nlohmann::json(*p.port) : nlohmann::json(nullptr);
  if (!p.app_protocol.empty()) out["appProtocol"] = p.app_protocol;
  return out;
}

}  // namespace

void to_json(nlohmann::json& j, const EndpointSlice& object) {
  auto endpoints = nlohmann::json::array();
  for (const auto& e : object.endpoints) endpoints.push_back(endpoint_json(e));
  auto ports = nlohmann::json::array();
  for (const auto& p : object.ports) ports.push_back(port_json(p));
  j = {{"name", object.meta.name},     {"namespace", object.meta.namespace_},
       {"labels", object.meta.labels}, {"addressType", to_string(object.address_type)},
       {"endpoints", endpoints},       {"ports", ports}};
}

}  // namespace zmesh::state
