// Typed Kubernetes objects the mesh understands (the "model"). Produced by config
// sources after validation; compiled into a Snapshot for the data path.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "state/timestamp.h"

namespace zmesh::state {

using IpAddress = boost::asio::ip::address;
using Labels = std::map<std::string, std::string>;

inline constexpr const char* kDataplaneModeLabel = "istio.io/dataplane-mode";
inline constexpr const char* kDataplaneModeAmbient = "ambient";

struct ObjectMeta {
  std::string name;
  std::string namespace_;  // empty for cluster-scoped kinds
  Labels labels;
  Labels annotations;
  std::string generate_name;
  std::string source;  // where it came from, e.g. "dir/pods.yaml#2" (for error messages)
  // metadata.creationTimestamp. Absent (files written by hand) sorts before every time, as
  // Go's zero time.Time does in Istio's "oldest policy wins".
  std::optional<Timestamp> creation_timestamp;
};

struct Namespace {
  ObjectMeta meta;
  bool ambient() const;  // istio.io/dataplane-mode=ambient
};

struct ContainerPort {
  std::string name;
  uint16_t port = 0;
  std::string protocol = "TCP";
};

struct Pod {
  ObjectMeta meta;
  std::string node_name;             // spec.nodeName
  std::string service_account;       // spec.serviceAccountName, default "default"
  std::vector<ContainerPort> ports;  // spec.containers[*].ports[*]
  std::vector<IpAddress> pod_ips;    // status.podIP + status.podIPs
  bool ready = true;                 // status.conditions Ready (absent -> true)
  std::string phase;                 // status.phase
  bool host_network = false;         // spec.hostNetwork: shares the node's IPs, never captured
  bool terminated() const;           // phase Succeeded or Failed: its IPs may be reused
};

struct ServicePort {
  std::string name;
  std::string protocol = "TCP";
  std::string app_protocol;
  uint16_t port = 0;
  // targetPort: a number, or the name of a container port.
  uint16_t target_port = 0;
  std::string target_port_name;
};

// core/v1 ServiceAccount: only its name matters to the mesh (identities are per account).
struct ServiceAccount {
  ObjectMeta meta;
};

struct Service {
  ObjectMeta meta;
  std::vector<IpAddress> cluster_ips;  // spec.clusterIP + spec.clusterIPs ("None" -> empty)
  Labels selector;
  std::vector<ServicePort> ports;
  std::string hostname(const std::string& domain = "cluster.local") const;
};

// PeerAuthentication's mTLS mode (security.istio.io MutualTLS.Mode).
enum class MtlsMode { kUnset, kDisable, kPermissive, kStrict };

const char* to_string(MtlsMode mode);  // "UNSET", "DISABLE", "PERMISSIVE", "STRICT"
std::optional<MtlsMode> parse_mtls_mode(const std::string& text);  // exact enum names

// security.istio.io PeerAuthentication (v1, v1beta1), as written: inheritance and
// precedence are resolved when a Snapshot is built.
struct PeerAuthentication {
  ObjectMeta meta;
  // spec.selector.matchLabels; nullopt without spec.selector. Empty labels select like no
  // selector (a namespace or mesh policy), as in Istio.
  std::optional<Labels> selector;
  MtlsMode mode = MtlsMode::kUnset;         // spec.mtls.mode; no spec.mtls -> UNSET
  std::map<uint32_t, MtlsMode> port_level;  // spec.portLevelMtls, by workload port
};

}  // namespace zmesh::state
