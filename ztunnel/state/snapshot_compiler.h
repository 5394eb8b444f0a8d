// Compiles object changes into the next Snapshot. Starts from a copy of the base snapshot
// (cheap: its indexes are copy-on-write), applies each change to the objects it keeps, and
// on finish() recompiles only what the changes reach:
//   Namespace          -> its ambient flag, and its pods' workloads when that flips
//   Pod                -> its workload (IP index, label index), then the Services of its
//                         namespace that select it before or after the change
//   Service, Slice     -> that Service (endpoints, backends, VIP index)
//   policy kinds       -> the compiled PeerAuthentication / AuthorizationPolicy views
//   ConfigMap          -> the meshConfig (root namespace's `istio`)
// A full build is the same path from an empty snapshot; a namespace with many changed pods
// recompiles its Services once each instead of testing every pod against every selector.
#pragma once

#include <bitset>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "state/snapshot.h"

namespace zmesh::state {

class SnapshotCompiler {
 public:
  explicit SnapshotCompiler(const Snapshot& base) : next_(std::make_shared<Snapshot>(base)) {}

  void apply(const ObjectChange& change);
  std::shared_ptr<const Snapshot> finish();

 private:
  NamespaceState& owned_namespace(const std::string& name);
  ObjectMap& owned_kind(size_t index);

  void recompile_ambient(const std::string& ns);
  void recompile_mesh_config();
  // Recompiles one pod's workload; `before` is what the base snapshot served (or null).
  void recompile_workload(NamespaceState& state, const std::string& name,
                          const std::shared_ptr<const Workload>& before);
  void mark_services_of(const std::string& ns, const NamespaceState& state,
                        const std::shared_ptr<const Workload>& before, const std::string& name);
  void recompile_service(NamespaceState& state, const std::string& name);
  void index_addresses(const std::shared_ptr<const ServiceInfo>& info, bool add);
  void index_slice_addresses(const ServiceInfo& info, bool add);

  std::shared_ptr<Snapshot> next_;
  std::set<std::string> namespaces_changed_;
  // namespace -> pod name -> the workload the base served (null: none)
  std::map<std::string, std::map<std::string, std::shared_ptr<const Workload>>> pods_changed_;
  std::map<std::string, std::set<std::string>> services_changed_;  // namespace -> names
  std::bitset<std::variant_size_v<Object>> kinds_changed_;
};

}  // namespace zmesh::state
