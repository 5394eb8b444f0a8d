// Snapshot::to_json: the shape served by the admin API's /config_dump.
#include "state/snapshot.h"

namespace zmesh::state {
namespace {

nlohmann::json ips_json(const std::vector<IpAddress>& ips) {
  auto out = nlohmann::json::array();
  for (const auto& ip : ips) out.push_back(ip.to_string());
  return out;
}

nlohmann::json port_json(const ServicePort& p) {
  nlohmann::json out = {{"name", p.name}, {"protocol", p.protocol}, {"port", p.port}};
  if (!p.target_port_name.empty()) {
    out["targetPort"] = p.target_port_name;
  } else {
    out["targetPort"] = p.target_port != 0 ? p.target_port : p.port;
  }
  if (!p.app_protocol.empty()) out["appProtocol"] = p.app_protocol;
  return out;
}

nlohmann::json workload_json(const Workload& w) {
  return {{"uid", w.uid},
          {"name", w.name},
          {"namespace", w.namespace_},
          {"node", w.node},
          {"serviceAccount", w.service_account},
          {"identity", w.identity()},
          {"workloadName", w.workload_name},
          {"canonicalService", w.canonical_service},
          {"canonicalRevision", w.canonical_revision},
          {"ips", ips_json(w.ips)},
          {"labels", w.labels},
          {"ready", w.ready},
          {"ambient", w.ambient},
          {"meshReason", w.mesh_reason}};
}

nlohmann::json service_json(const ServiceInfo& s) {
  auto ports = nlohmann::json::array();
  for (const auto& p : s.ports) ports.push_back(port_json(p));
  auto endpoints = nlohmann::json::array();
  for (const auto& w : s.endpoints) endpoints.push_back(w->uid);
  return {{"name", s.name},         {"namespace", s.namespace_},
          {"hostname", s.hostname}, {"vips", ips_json(s.vips)},
          {"ports", ports},         {"endpoints", endpoints}};
}

nlohmann::json peer_authentication_json(const PeerAuthentication& pa) {
  auto ports = nlohmann::json::object();
  for (const auto& [port, mode] : pa.port_level) ports[std::to_string(port)] = to_string(mode);
  nlohmann::json out = {{"name", pa.meta.name}, {"namespace", pa.meta.namespace_},
                        {"selector", nullptr},  {"mode", to_string(pa.mode)},
                        {"portLevel", ports},   {"creationTimestamp", nullptr}};
  if (pa.selector) out["selector"] = *pa.selector;
  if (pa.meta.creation_timestamp) {
    out["creationTimestamp"] = format_rfc3339(*pa.meta.creation_timestamp);
  }
  return out;
}

// "ns/name" of each object.
template <typename T>
nlohmann::json names_of(const std::vector<std::shared_ptr<const T>>& objects) {
  auto out = nlohmann::json::array();
  for (const auto& o : objects) out.push_back(o->meta.namespace_ + "/" + o->meta.name);
  return out;
}

}  // namespace

nlohmann::json Snapshot::to_json() const {
  auto namespaces = nlohmann::json::array();
  for (const auto& ns : objects<Namespace>()) {
    namespaces.push_back(
        {{"name", ns->meta.name}, {"labels", ns->meta.labels}, {"ambient", ns->ambient()}});
  }
  auto workloads = nlohmann::json::array();
  for (const auto& w : this->workloads()) workloads.push_back(workload_json(*w));
  auto services = nlohmann::json::array();
  for (const auto& s : this->services()) services.push_back(service_json(*s));
  auto peer_authentications = nlohmann::json::array();
  for (const auto& pa : objects<PeerAuthentication>()) {
    peer_authentications.push_back(peer_authentication_json(*pa));
  }
  return {{"namespaces", namespaces},
          {"workloads", workloads},
          {"services", services},
          {"serviceAccounts", names_of(objects<ServiceAccount>())},
          {"endpointSlices", endpoint_slices()},
          {"virtualServices", copies<VirtualService>()},
          {"destinationRules", copies<DestinationRule>()},
          {"peerAuthentications", peer_authentications},
          {"authorizationPolicies", copies<AuthorizationPolicy>()},
          {"requestAuthentications", copies<RequestAuthentication>()},
          {"meshConfig", *mesh_config_},
          {"rootNamespace", root_namespace_}};
}

}  // namespace zmesh::state
