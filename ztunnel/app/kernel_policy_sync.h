// Keeps the kernel's identity-free L4 policy (PeerAuthentication STRICT, AuthorizationPolicy
// rules of IP blocks and ports; bpf/lib/policy.h) in step with each published snapshot.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bpf/datapath.h"
#include "state/snapshot.h"

namespace zmesh::app {

// Compiles the policies of this node's mesh pods (rbac::compile_kernel_policies) and writes
// what changed. On a failure every kernel entry is removed instead (the previous snapshot's
// could refuse what this one allows): ztunnel alone decides until a later snapshot succeeds.
// Lives on the control thread.
class KernelPolicySync {
 public:
  KernelPolicySync(bpf::Datapath& datapath, std::string node)
      : datapath_(datapath), node_(std::move(node)) {}

  void on_snapshot(const state::Snapshot& snapshot);

 private:
  bpf::Datapath& datapath_;
  std::string node_;
  std::optional<std::vector<bpf::PodPolicy>> written_;  // what the maps hold, if known
};

// One-shot form (tests): compiles and writes, without remembering.
void sync_kernel_policies(bpf::Datapath& datapath, const state::Snapshot& snapshot,
                          const std::string& node);

}  // namespace zmesh::app
