// An immutable, indexed view of the mesh, compiled from the model. Swapped atomically;
// the data path reads it without locks (std::shared_ptr<const Snapshot>).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "state/authz_policies.h"
#include "state/config_set.h"
#include "state/model.h"
#include "state/mtls_policies.h"

namespace zmesh::state {

// A pod as the mesh sees it: identity, placement and telemetry names.
struct Workload {
  std::string uid;  // "ns/name"
  std::string name;
  std::string namespace_;
  std::string node;
  std::string service_account;
  std::string workload_name;       // owner-ish name: generateName trimmed, else pod name
  std::string canonical_service;   // service.istio.io/canonical-name | app.kubernetes.io/name | app
                                   // | workload_name
  std::string canonical_revision;  // service.istio.io/canonical-revision |
                                   // app.kubernetes.io/version | version | "latest"
  std::string app;                 // label app (Istio's source_app) or ""
  std::string version;             // label version or ""
  std::vector<IpAddress> ips;
  Labels labels;
  std::vector<ContainerPort> ports;
  bool ready = true;
  bool ambient = false;  // namespace or pod opted in with istio.io/dataplane-mode=ambient
  std::string identity(const std::string& trust_domain = "cluster.local") const;  // spiffe://...
};

// One ready endpoint of a service port: the pod and the port to dial on it.
struct Backend {
  std::shared_ptr<const Workload> workload;
  uint16_t port = 0;  // targetPort resolved (by number, by container port name, or = port)
};

struct ServiceInfo {
  std::string name;
  std::string namespace_;
  std::string hostname;  // name.ns.svc.cluster.local
  std::vector<IpAddress> vips;
  std::vector<ServicePort> ports;
  Labels selector;
  std::vector<std::shared_ptr<const Workload>> endpoints;  // selected pods in the namespace
  // ready_backends[i]: the ready endpoints serving ports[i] (a pod without the named
  // targetPort does not serve that port), precomputed so resolve() never allocates.
  std::vector<std::vector<Backend>> ready_backends;
};

// Where an outbound connection goes after resolution.
struct Target {
  std::shared_ptr<const Workload> workload;    // null: destination outside the mesh view
  std::shared_ptr<const ServiceInfo> service;  // set when the app dialed a Service VIP
  boost::asio::ip::tcp::endpoint endpoint;     // address to dial (pod ip : target port)
};

inline constexpr const char* kDefaultRootNamespace = "istio-system";

struct BuildOptions {
  // Istio's root namespace (MeshConfig rootNamespace): its policies without a selector
  // are mesh-wide.
  std::string root_namespace = kDefaultRootNamespace;
};

class Snapshot {
 public:
  Snapshot() = default;

  std::shared_ptr<const Workload> workload_by_ip(const IpAddress& ip) const;
  std::shared_ptr<const Workload> workload_by_uid(const std::string& uid) const;
  std::shared_ptr<const ServiceInfo> service_by_vip(const IpAddress& ip) const;
  bool namespace_ambient(const std::string& ns) const;

  // Resolves an app's original destination: a Service VIP:port becomes one ready endpoint
  // (round robin with `rr`, a counter the caller owns, e.g. per worker) at the target
  // port; a pod IP becomes that workload; anything else passes through unchanged.
  // Returns nullopt when a VIP:port has no ready endpoint or the port is not served.
  std::optional<Target> resolve(const boost::asio::ip::tcp::endpoint& orig_dst, uint64_t& rr) const;

  // The PeerAuthentication mTLS mode for an inbound connection to `w` on `port` (the
  // workload's own port, after service targetPort resolution): never kUnset, PERMISSIVE
  // when no policy applies. Cheap and allocation-free (precomputed per namespace). Ambient
  // note: the caller decides what DISABLE means for HBONE (ztunnel ignores it).
  MtlsMode mtls_mode(const Workload& w, uint16_t port) const;

  // The AuthorizationPolicies that apply to a workload, by action (AuthzPolicies::policies_for).
  const AuthzPolicies& authz_policies() const { return authz_; }

  const std::vector<std::shared_ptr<const Workload>>& workloads() const { return workloads_; }
  const std::vector<std::shared_ptr<const ServiceInfo>>& services() const { return services_; }
  const std::vector<Namespace>& namespaces() const { return objects_.namespaces; }
  const std::vector<PeerAuthentication>& peer_authentications() const {
    return objects_.peer_authentications;
  }
  // Every serving object as written (for config_dump and the compiled views above).
  const ConfigSet& objects() const { return objects_; }
  const std::string& root_namespace() const { return root_namespace_; }

  // {"namespaces", "workloads", "services", "peerAuthentications", "virtualServices", ...,
  //  "rootNamespace"}
  nlohmann::json to_json() const;

  // Builds a snapshot (and its indexes) from validated objects.
  static std::shared_ptr<const Snapshot> build(ConfigSet objects, const BuildOptions& options = {});
  // The same, for the core kinds only (tests).
  static std::shared_ptr<const Snapshot> build(
      const std::vector<Namespace>& namespaces, const std::vector<Pod>& pods,
      const std::vector<Service>& services,
      const std::vector<PeerAuthentication>& peer_authentications = {},
      const BuildOptions& options = {});

 private:
  std::vector<std::shared_ptr<const Workload>> workloads_;
  std::vector<std::shared_ptr<const ServiceInfo>> services_;
  std::unordered_map<std::string, std::shared_ptr<const Workload>> by_ip_;
  std::unordered_map<std::string, std::shared_ptr<const Workload>> by_uid_;
  std::unordered_map<std::string, std::shared_ptr<const ServiceInfo>> by_vip_;
  std::unordered_map<std::string, bool> ns_ambient_;
  ConfigSet objects_;
  std::string root_namespace_ = kDefaultRootNamespace;
  MtlsPolicies mtls_;
  AuthzPolicies authz_;
};

}  // namespace zmesh::state
