// An immutable, indexed view of the mesh, compiled from the model. Swapped atomically;
// the data path reads it without locks (std::shared_ptr<const Snapshot>).
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "state/authz_policies.h"
#include "state/config_set.h"
#include "state/cow_map.h"
#include "state/mesh_config.h"
#include "state/model.h"
#include "state/mtls_policies.h"
#include "state/object.h"
#include "state/request_authns.h"
#include "state/tracing_settings.h"

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
  bool ambient = false;     // namespace or pod opted in with istio.io/dataplane-mode=ambient
  std::string mesh_reason;  // why it is (or is not) in the mesh (state::mesh_membership)
  bool host_network = false;
  bool terminated = false;  // phase Succeeded or Failed
  std::string identity(const std::string& trust_domain = "cluster.local") const;  // spiffe://...
};

// One ready endpoint of a service port: the pod (or, for an EndpointSlice address outside
// the mesh view, just the address) and the port to dial on it.
struct Backend {
  std::shared_ptr<const Workload> workload;  // null: a slice address of no known pod
  IpAddress address;                         // dialed when workload is null
  uint16_t port = 0;  // targetPort resolved (by number, by container port name, or = port)
};

struct ServiceInfo {
  std::string name;
  std::string namespace_;
  std::string hostname;  // name.ns.svc.cluster.local
  std::vector<IpAddress> vips;
  std::vector<ServicePort> ports;
  Labels selector;
  // The pods behind it: selected by `selector` in its namespace, or, for a Service without
  // selector, the pods its EndpointSlices name by IP.
  std::vector<std::shared_ptr<const Workload>> endpoints;
  // ready_backends[i]: the ready endpoints serving ports[i] (a pod without the named
  // targetPort does not serve that port), precomputed so resolve() never allocates.
  std::vector<std::vector<Backend>> ready_backends;
  // Every address its EndpointSlices list, ready or not (for a Service without selector).
  std::vector<IpAddress> slice_addresses;
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

struct IpHash {
  size_t operator()(const IpAddress& ip) const;
};

struct NamespaceState;  // one namespace's objects and compiled services (namespace_state.h)

// "ns/name" -> object, for the kinds kept as written (policies, accounts, namespaces).
using ObjectMap = std::map<std::string, ObjectPtr>;

class Snapshot {
 public:
  explicit Snapshot(const BuildOptions& options = {}) : root_namespace_(options.root_namespace) {}

  std::shared_ptr<const Workload> workload_by_ip(const IpAddress& ip) const;
  std::shared_ptr<const Workload> workload_by_uid(const std::string& uid) const;
  std::shared_ptr<const ServiceInfo> service_by_vip(const IpAddress& ip) const;
  // By fully qualified hostname ("reviews.bookinfo.svc.cluster.local"), as VirtualService
  // and DestinationRule hosts name Services once qualified with their namespace.
  std::shared_ptr<const ServiceInfo> service_by_host(const std::string& hostname) const;
  bool namespace_ambient(const std::string& ns) const;

  // Resolves an app's original destination: a Service VIP:port becomes one ready endpoint
  // (round robin with `rr`, a counter the caller owns, e.g. per worker) at the target
  // port; a pod IP becomes that workload; anything else passes through unchanged.
  // Returns nullopt when a VIP:port has no ready endpoint or the port is not served.
  std::optional<Target> resolve(const boost::asio::ip::tcp::endpoint& orig_dst, uint64_t& rr) const;

  // The Service (of the workload's namespace, selecting it) whose port targets `port` on
  // the workload, for telemetry names; null when none does. Cost: the namespace's services.
  const ServiceInfo* service_for_port(const Workload& workload, uint16_t port) const;

  // The PeerAuthentication mTLS mode for an inbound connection to `w` on `port` (the
  // workload's own port, after service targetPort resolution): never kUnset, PERMISSIVE
  // when no policy applies. Cheap and allocation-free (precomputed per namespace). Ambient
  // note: the caller decides what DISABLE means for HBONE (ztunnel ignores it).
  MtlsMode mtls_mode(const Workload& w, uint16_t port) const;

  // The AuthorizationPolicies that apply to a workload, by action (AuthzPolicies::policies_for).
  const AuthzPolicies& authz_policies() const { return *authz_; }
  // The AuthorizationPolicies that apply to `w`'s inbound traffic: policies_for (selector,
  // namespace, root namespace), plus those attached by targetRef to a Service of its namespace
  // that selects `w`: for traffic to `port` (the workload's own port) when given, only if the
  // Service has a port targeting it; without a port, those of every such Service. Costs the
  // namespace's services only when a policy there is attached to a Service.
  ApplicablePolicies authz_policies_for(const Workload& w,
                                        std::optional<uint16_t> port = std::nullopt) const;

  // The jwtRules of the RequestAuthentications that apply to a workload, and every jwksUri
  // (RequestAuthns); shared with the previous snapshot while no RequestAuthentication changes.
  const RequestAuthns& request_authns() const { return *request_authns_; }

  // Istio's meshConfig: the `mesh` key of ConfigMap `istio` in the root namespace, Istio's
  // defaults without one. Shared with the previous snapshot while it does not change.
  const MeshConfig& mesh_config() const { return *mesh_config_; }
  std::shared_ptr<const MeshConfig> mesh_config_ptr() const { return mesh_config_; }
  // What meshConfig says about tracing (state/tracing_settings.h), computed once per change.
  const TracingSettings& tracing() const { return tracing_; }

  // The compiled PeerAuthentication and AuthorizationPolicy sets: the same pointers as the
  // previous snapshot's when no policy changed (an incremental compile keeps them).
  struct PolicySets {
    std::shared_ptr<const MtlsPolicies> mtls;
    std::shared_ptr<const AuthzPolicies> authz;
    bool operator==(const PolicySets&) const = default;
  };
  PolicySets policy_sets() const { return {mtls_, authz_}; }

  // Listings (sorted by namespace/name), built on demand: for the admin API and tools,
  // not the data path.
  std::vector<std::shared_ptr<const Workload>> workloads() const;
  std::vector<std::shared_ptr<const ServiceInfo>> services() const;
  size_t workload_count() const { return workloads_.size(); }
  size_t service_count() const { return service_count_; }
  // Every serving object of a kind kept as written: Namespace, ServiceAccount and the Istio
  // kinds (not Pod, Service, EndpointSlice: see workloads() and services()).
  template <typename T>
  std::vector<std::shared_ptr<const T>> objects() const;
  std::vector<Namespace> namespaces() const { return copies<Namespace>(); }
  std::vector<EndpointSlice> endpoint_slices() const;
  std::vector<PeerAuthentication> peer_authentications() const {
    return copies<PeerAuthentication>();
  }
  const std::string& root_namespace() const { return root_namespace_; }

  // {"namespaces", "workloads", "services", "peerAuthentications", "virtualServices", ...,
  //  "meshConfig", "rootNamespace"}
  nlohmann::json to_json() const;

  // This snapshot with `changes` applied: only what they touch is recompiled (the
  // workloads changed, the services selecting them before or after, the policy kinds
  // changed); everything else is shared with this one. Changes must be consistent with
  // this snapshot (`before` is what it serves).
  std::shared_ptr<const Snapshot> with(const std::vector<ObjectChange>& changes) const;

  // Builds a snapshot (and its indexes) from validated objects.
  static std::shared_ptr<const Snapshot> build(ConfigSet objects, const BuildOptions& options = {});
  // The same, for the core kinds only (tests).
  static std::shared_ptr<const Snapshot> build(
      const std::vector<Namespace>& namespaces, const std::vector<Pod>& pods,
      const std::vector<Service>& services,
      const std::vector<PeerAuthentication>& peer_authentications = {},
      const BuildOptions& options = {});

 private:
  friend class SnapshotCompiler;
  template <typename T>
  std::vector<T> copies() const;

  // Pods with this IP (usually one), sorted by uid: the first answers lookups, and a
  // deleted pod's IP falls to the next.
  using WorkloadsAt = std::vector<std::shared_ptr<const Workload>>;
  using ServicesAt = std::vector<std::shared_ptr<const ServiceInfo>>;  // sorted by namespace/name

  CowMap<std::string, std::shared_ptr<const Workload>> workloads_;  // by uid
  CowMap<IpAddress, WorkloadsAt, IpHash> by_ip_;
  CowMap<IpAddress, ServicesAt, IpHash> by_vip_;
  CowMap<std::string, std::shared_ptr<const ServiceInfo>> by_host_;
  CowMap<std::string, std::shared_ptr<NamespaceState>> namespaces_;
  // IP -> the Services without selector (namespace, name) whose EndpointSlices list it, so
  // a pod appearing at that IP refreshes them.
  CowMap<IpAddress, std::vector<std::pair<std::string, std::string>>, IpHash> slice_users_;
  size_t service_count_ = 0;
  // ObjectMaps by Object alternative index; null for Pod, Service and EndpointSlice, which
  // live in NamespaceState.
  std::array<std::shared_ptr<ObjectMap>, std::variant_size_v<Object>> kinds_;
  std::string root_namespace_ = kDefaultRootNamespace;
  // Shared between snapshots until a policy of their kind changes.
  std::shared_ptr<const MtlsPolicies> mtls_ = std::make_shared<const MtlsPolicies>();
  std::shared_ptr<const AuthzPolicies> authz_ = std::make_shared<const AuthzPolicies>();
  std::shared_ptr<const RequestAuthns> request_authns_ = std::make_shared<const RequestAuthns>();
  std::shared_ptr<const MeshConfig> mesh_config_ = std::make_shared<const MeshConfig>();
  TracingSettings tracing_ = tracing_settings(*mesh_config_);
};

// The index of T among Object's alternatives.
template <typename T, size_t I = 0>
constexpr size_t object_index() {
  if constexpr (std::is_same_v<std::variant_alternative_t<I, Object>, T>) {
    return I;
  } else {
    return object_index<T, I + 1>();
  }
}

template <typename T>
std::vector<std::shared_ptr<const T>> Snapshot::objects() const {
  std::vector<std::shared_ptr<const T>> out;
  if (const auto& map = kinds_[object_index<T>()]) {
    out.reserve(map->size());
    for (const auto& [key, object] : *map) out.emplace_back(object, &std::get<T>(*object));
  }
  return out;
}

template <typename T>
std::vector<T> Snapshot::copies() const {
  std::vector<T> out;
  for (const auto& o : objects<T>()) out.push_back(*o);
  return out;
}

}  // namespace zmesh::state
