// The kernel's identity-free L4 policy maps (zmesh_pol_*, bpf/lib/policy.h): bringing them
// to a wanted state without a moment where a pod's entries are half old, half new, and
// reading them back with the refusal counters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bpf/datapath.h"
#include "common/result.h"

namespace zmesh::bpf {

struct PolicyMapFds {
  int pods = -1;     // zmesh_pol_pods
  int ports = -1;    // zmesh_pol_ports
  int src4 = -1;     // zmesh_pol_src4
  int src6 = -1;     // zmesh_pol_src6
  int denials = -1;  // zmesh_pol_denials
  int names = -1;    // zmesh_pol_names
};

// The id a policy's refusals are counted under: FNV-1a of "ns/name", moved above the reserved
// ids (ZMESH_POLICY_ID_*), so counts survive restarts and other policies changing.
uint32_t policy_id(const std::string& policy);

// For every pod IP whose entries differ: deletes its zmesh_pol_pods entry first (its
// connections then pass to the daemon), rewrites its ports and sources, then writes the pod
// entry back. Pods not wanted lose every entry and their counters; names no wanted policy
// or counter uses are removed. `changes` (optional) gets one line per pod changed.
Result<void> sync_kernel_policies(const PolicyMapFds& fds, const std::vector<PodPolicy>& wanted,
                                  std::vector<std::string>* changes = nullptr);

std::vector<PodPolicy> read_kernel_policies(const PolicyMapFds& fds);
std::vector<PolicyDenials> read_policy_denials(const PolicyMapFds& fds);

}  // namespace zmesh::bpf
