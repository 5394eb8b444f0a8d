// discovery.k8s.io/v1 EndpointSlice, as written.
// Every field of the API is kept, typed, whether or not the data path uses it yet.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "state/model.h"

namespace zmesh::state {

// The label that ties a slice to its Service.
inline constexpr const char* kServiceNameLabel = "kubernetes.io/service-name";

enum class EndpointAddressType { kIPv4, kIPv6, kFqdn };

const char* to_string(EndpointAddressType type);  // "IPv4", "IPv6", "FQDN"

// endpoints[].conditions: each may be unset, with Kubernetes' documented meaning.
struct EndpointConditions {
  std::optional<bool> ready;        // unset: ready
  std::optional<bool> serving;      // unset: serving
  std::optional<bool> terminating;  // unset: not terminating
  bool is_ready() const { return ready.value_or(true); }
  bool is_serving() const { return serving.value_or(true); }
  bool is_terminating() const { return terminating.value_or(false); }
};

// endpoints[].targetRef (a core/v1 ObjectReference; usually the Pod).
struct EndpointTargetRef {
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string uid;
};

struct Endpoint {
  std::vector<std::string> addresses;  // as written (1-100)
  std::vector<IpAddress> ips;          // the addresses parsed, for IPv4 and IPv6 slices
  EndpointConditions conditions;
  std::string hostname;
  std::string node_name;  // nodeName
  std::string zone;
  std::optional<EndpointTargetRef> target_ref;
};

struct EndpointPort {
  std::string name;  // may be empty (a single unnamed port)
  std::string protocol = "TCP";
  std::optional<uint16_t> port;  // unset: all ports
  std::string app_protocol;
};

struct EndpointSlice {
  ObjectMeta meta;
  EndpointAddressType address_type = EndpointAddressType::kIPv4;
  std::vector<Endpoint> endpoints;
  std::vector<EndpointPort> ports;

  // metadata.labels["kubernetes.io/service-name"], or "" (a slice of no Service).
  std::string service_name() const;
};

// The object as config_dump shows it: field names as in the YAML.
void to_json(nlohmann::json& j, const EndpointSlice& object);

}  // namespace zmesh::state
