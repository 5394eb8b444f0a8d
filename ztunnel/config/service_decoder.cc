#include <algorithm>
#include <set>
#include <utility>

#include "config/kind_decoders.h"
#include "config/port_fields.h"
#include "config/validation.h"

namespace zmesh::config {
namespace {

constexpr const char* kHeadless = "None";

void decode_cluster_ips(const FieldReader& spec, state::Service& svc) {
  FieldReader cluster_ip = spec.field("clusterIP");
  std::string primary = cluster_ip.string().value_or("");
  if (!primary.empty() && primary != kHeadless) {
    if (auto ip = parse_ip(primary)) {
      svc.cluster_ips.push_back(*ip);
    } else {
      cluster_ip.error(quote(primary) + " is not an IP address or \"None\"");
    }
  }

  FieldReader list = spec.field("clusterIPs");
  size_t index = 0;
  list.each([&](const FieldReader& item) {
    auto text = item.string().value_or("");
    size_t i = index++;
    if (i == 0 && !primary.empty() && text != primary) {
      item.error(quote(text) + " must match spec.clusterIP " + quote(primary));
      return;
    }
    if (text == kHeadless) {
      if (i != 0) item.error("\"None\" is only valid as the only entry");
      return;
    }
    auto ip = parse_ip(text);
    if (!ip) {
      item.error(quote(text) + " is not an IP address");
    } else if (std::find(svc.cluster_ips.begin(), svc.cluster_ips.end(), *ip) ==
               svc.cluster_ips.end()) {
      svc.cluster_ips.push_back(*ip);
    }
  });
}

void decode_target_port(const FieldReader& field, state::ServicePort& port) {
  if (!field.present()) return;  // defaults to port
  if (!field.node().IsScalar()) {
    field.error("must be a port number or name, got " + field.type_name());
    return;
  }
  if (field.is_integer()) {
    auto value = field.integer();
    if (value && (*value < 0 || *value > 65535)) {
      field.error("must be 1-65535");
    } else if (value) {
      port.target_port = static_cast<uint16_t>(*value);  // 0 means "same as port"
    }
    return;
  }
  auto name = field.string();
  if (!name) return;
  if (name->empty()) {
    field.error("must be a port number or a non-empty port name");
  } else if (auto err = iana_svc_name_error(*name); !err.empty()) {
    field.error(err);
  } else {
    port.target_port_name = *name;
  }
}

void decode_ports(const FieldReader& ports, state::Service& svc) {
  std::set<std::string> names;
  std::set<std::pair<uint16_t, std::string>> numbers;
  size_t count = ports.size();

  ports.each([&](const FieldReader& item) {
    if (!item.is_map()) return;
    state::ServicePort port;
    FieldReader name = item.field("name");
    port.name = name.string().value_or("");
    if (port.name.empty()) {
      if (count > 1) name.error("required when a service has more than one port");
    } else if (auto err = dns1123_label_error(port.name); !err.empty()) {
      name.error(err);
    } else if (!names.insert(port.name).second) {
      name.error("duplicate port name " + quote(port.name));
    }
    port.protocol = read_protocol(item.field("protocol"));
    FieldReader app_protocol = item.field("appProtocol");
    port.app_protocol = app_protocol.string().value_or("");
    if (!port.app_protocol.empty()) {
      if (auto err = qualified_name_error(port.app_protocol); !err.empty()) app_protocol.error(err);
    }
    auto number = read_port(item.field("port"), true);
    if (number && !numbers.insert({*number, port.protocol}).second) {
      item.error("duplicate port " + std::to_string(*number) + "/" + port.protocol);
    }
    port.port = number.value_or(0);
    decode_target_port(item.field("targetPort"), port);
    svc.ports.push_back(std::move(port));
  });
}

}  // namespace

Object decode_service(const FieldReader& root, state::ObjectMeta meta) {
  state::Service svc;
  svc.meta = std::move(meta);
  FieldReader spec = root.field("spec");
  if (spec.is_map()) {
    decode_cluster_ips(spec, svc);
    svc.selector = decode_label_map(spec.field("selector"));
    decode_ports(spec.field("ports"), svc);
  }
  return svc;
}

}  // namespace zmesh::config
