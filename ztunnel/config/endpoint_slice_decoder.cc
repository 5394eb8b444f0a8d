// discovery.k8s.io/v1 EndpointSlice: decoding and the API server's validation
// (pkg/apis/discovery/validation), each problem at its field path.
#include <set>

#include "config/kind_decoders.h"
#include "config/port_fields.h"
#include "config/validation.h"

namespace zmesh::config {
namespace {

using state::EndpointAddressType;

constexpr size_t kMaxEndpoints = 1000;
constexpr size_t kMaxAddresses = 100;
constexpr size_t kMaxPorts = 20000;

std::optional<EndpointAddressType> decode_address_type(const FieldReader& field) {
  if (!field.present()) {
    field.error("required");
    return std::nullopt;
  }
  auto text = field.string();
  if (!text) return std::nullopt;
  if (*text == "IPv4") return EndpointAddressType::kIPv4;
  if (*text == "IPv6") return EndpointAddressType::kIPv6;
  if (*text == "FQDN") return EndpointAddressType::kFqdn;
  field.error(quote(*text) + " is not a supported address type (IPv4, IPv6 or FQDN)");
  return std::nullopt;
}

// apivalidation.ValidateNonSpecialIP: an endpoint is never unspecified, loopback or
// link-local (unicast or multicast).
std::string special_ip_error(const state::IpAddress& ip) {
  if (ip.is_unspecified()) return "may not be unspecified (0.0.0.0 or ::)";
  if (ip.is_loopback()) return "may not be in the loopback range (127.0.0.0/8, ::1/128)";
  if (ip.is_v4()) {
    auto bytes = ip.to_v4().to_bytes();
    if (bytes[0] == 169 && bytes[1] == 254)
      return "may not be in the link-local range (169.254.0.0/16)";
    if (bytes[0] == 224 && bytes[1] == 0 && bytes[2] == 0) {
      return "may not be in the link-local multicast range (224.0.0.0/24)";
    }
    return "";
  }
  auto v6 = ip.to_v6();
  if (v6.is_link_local()) return "may not be in the link-local range (fe80::/10)";
  if (v6.is_multicast_link_local())
    return "may not be in the link-local multicast range (ff02::/16)";
  return "";
}

// validation.IsFullyQualifiedDomainName: a subdomain of at least two labels (a trailing dot
// allowed).
std::string fqdn_error(std::string name) {
  if (name.ends_with('.')) name.pop_back();
  if (name.empty()) return "must not be empty";
  if (auto err = dns1123_subdomain_error(name); !err.empty()) return err;
  if (name.find('.') == std::string::npos) {
    return quote(name) + " must be a domain with at least two segments separated by dots";
  }
  return "";
}

void decode_address(const FieldReader& item, EndpointAddressType type, state::Endpoint& e) {
  if (!item.present()) {
    item.error("must be a string, got null");
    return;
  }
  auto text = item.string();
  if (!text) return;
  e.addresses.push_back(*text);
  if (type == EndpointAddressType::kFqdn) {
    if (auto err = fqdn_error(*text); !err.empty()) item.error(err);
    return;
  }
  auto ip = parse_ip(*text);
  const bool v4 = type == EndpointAddressType::kIPv4;
  if (!ip || ip->is_v4() != v4 || (ip->is_v6() && ip->to_v6().is_v4_mapped())) {
    item.error(quote(*text) + " must be a valid " + (v4 ? "IPv4" : "IPv6") + " address");
    return;
  }
  if (auto err = special_ip_error(*ip); !err.empty()) {
    item.error(err);
    return;
  }
  e.ips.push_back(*ip);
}

std::optional<bool> read_condition(const FieldReader& field) {
  return field.boolean();  // null and absent: unset
}

std::optional<state::Endpoint> decode_endpoint(const FieldReader& f,
                                               std::optional<EndpointAddressType> type) {
  if (!f.present()) {
    f.error("must be an object, got null");
    return std::nullopt;
  }
  if (!f.is_map()) return std::nullopt;
  state::Endpoint e;
  FieldReader addresses = f.field("addresses");
  if (addresses.size() == 0 && (!addresses.present() || addresses.node().IsSequence())) {
    addresses.error("must contain at least 1 address");
  } else if (addresses.size() > kMaxAddresses) {
    addresses.error("must have at most " + std::to_string(kMaxAddresses) + " items");
  }
  addresses.each([&](const FieldReader& item) {
    // Without a valid addressType there is nothing to check the address against.
    if (type) {
      decode_address(item, *type, e);
    } else if (auto text = item.string()) {
      e.addresses.push_back(*text);
    }
  });

  FieldReader conditions = f.field("conditions");
  if (conditions.is_map()) {
    e.conditions.ready = read_condition(conditions.field("ready"));
    e.conditions.serving = read_condition(conditions.field("serving"));
    e.conditions.terminating = read_condition(conditions.field("terminating"));
  }
  FieldReader hostname = f.field("hostname");
  e.hostname = hostname.string().value_or("");
  if (!e.hostname.empty()) {
    if (auto err = dns1123_label_error(e.hostname); !err.empty()) hostname.error(err);
  }
  FieldReader node_name = f.field("nodeName");
  e.node_name = node_name.string().value_or("");
  if (!e.node_name.empty()) {
    if (auto err = dns1123_subdomain_error(e.node_name); !err.empty()) node_name.error(err);
  }
  e.zone = f.field("zone").string().value_or("");
  FieldReader target_ref = f.field("targetRef");
  if (target_ref.is_map()) {
    state::EndpointTargetRef ref;
    ref.kind = target_ref.field("kind").string().value_or("");
    ref.namespace_ = target_ref.field("namespace").string().value_or("");
    ref.name = target_ref.field("name").string().value_or("");
    ref.uid = target_ref.field("uid").string().value_or("");
    e.target_ref = std::move(ref);
  }
  return e;
}

std::optional<state::EndpointPort> decode_port(const FieldReader& f, std::set<std::string>& names) {
  if (!f.present()) {
    f.error("must be an object, got null");
    return std::nullopt;
  }
  if (!f.is_map()) return std::nullopt;
  state::EndpointPort p;
  FieldReader name = f.field("name");
  p.name = name.string().value_or("");
  if (!p.name.empty()) {
    if (auto err = dns1123_label_error(p.name); !err.empty()) name.error(err);
  }
  if (!names.insert(p.name).second) name.error("duplicate port name " + quote(p.name));
  p.protocol = read_protocol(f.field("protocol"));
  p.port = read_port(f.field("port"), false);
  FieldReader app_protocol = f.field("appProtocol");
  p.app_protocol = app_protocol.string().value_or("");
  if (!p.app_protocol.empty()) {
    if (auto err = qualified_name_error(p.app_protocol); !err.empty()) app_protocol.error(err);
  }
  return p;
}

}  // namespace

Object decode_endpoint_slice(const FieldReader& root, state::ObjectMeta meta) {
  state::EndpointSlice slice;
  slice.meta = std::move(meta);
  auto type = decode_address_type(root.field("addressType"));
  if (type) slice.address_type = *type;

  FieldReader endpoints = root.field("endpoints");
  if (endpoints.size() > kMaxEndpoints) {
    endpoints.error("must have at most " + std::to_string(kMaxEndpoints) + " items");
  }
  endpoints.each([&](const FieldReader& item) {
    if (auto e = decode_endpoint(item, type)) slice.endpoints.push_back(std::move(*e));
  });

  FieldReader ports = root.field("ports");
  if (ports.size() > kMaxPorts)
    ports.error("must have at most " + std::to_string(kMaxPorts) + " items");
  std::set<std::string> names;
  ports.each([&](const FieldReader& item) {
    if (auto p = decode_port(item, names)) slice.ports.push_back(std::move(*p));
  });
  return slice;
}

}  // namespace zmesh::config
