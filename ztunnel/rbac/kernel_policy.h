// The identity-free part of a pod's inbound L4 policy, compiled for the kernel's sk_lookup
// check (bpf/lib/policy.h; docs/architecture.md, "Kernel L4 policy"): PeerAuthentication
// STRICT per port, and AuthorizationPolicy rules made only of source IP blocks and
// destination ports. The daemon's own check (inbound_decision) stays the authority: what is
// compiled here may only refuse what the daemon refuses, never more, so anything doubtful is
// left to the daemon:
// - a DENY rule is compiled alone when every field it names is `ipBlocks`/`notIpBlocks`,
//   `ports`/`notPorts`, or a `when` on source.ip / destination.port; other DENY rules (an
//   identity, an HTTP attribute, another `when` key) are left to the daemon (the kernel does
//   not deny on them, the daemon still does);
// - the ALLOW policies make an allow list in the kernel only when every rule of every
//   enforced ALLOW policy of the workload is compiled: one rule needing an identity or naming
//   an HTTP attribute (the L7 pipeline may match it per request) leaves the whole allow list
//   to the daemon;
// - a workload whose connections ztunnel decides per request on its HTTP ports (a
//   RequestAuthentication applies, a CUSTOM policy applies, or an applicable policy of any
//   action names an HTTP attribute: rbac::decided_per_request) gets no AuthorizationPolicy in
//   the kernel: there a denial is a 403 on a kept
//   connection, not a reset (STRICT still applies: it is refused before any request);
// - a policy attached to a Service (targetRefs) holds on that Service's ports only: never
//   compiled, and an ALLOW among them leaves the allow list to the daemon;
// - dry-run policies are never compiled; AUDIT and CUSTOM are no kernel business.
// The result is already in the kernel's shape: rule slots (bits), and per pod the source
// prefixes (longest match) and ports with the slots that hold there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "state/security_common.h"
#include "state/snapshot.h"

namespace zmesh::rbac {

inline constexpr size_t kKernelRuleSlots = 64;  // ZMESH_POLICY_RULES: bits of a uint64_t

// The slots whose source condition holds for every address `prefix` is the longest match
// of, among the pod's prefixes. Host bits of `prefix` are zero.
struct KernelSource {
  state::IpBlock prefix;
  uint64_t deny = 0;
  uint64_t allow = 0;
  bool operator==(const KernelSource&) const = default;
};

// The slots whose port condition holds for `port` (0: every port not listed), and
// PeerAuthentication STRICT there.
struct KernelPort {
  uint16_t port = 0;
  uint64_t deny = 0;
  uint64_t allow = 0;
  bool strict = false;
  bool operator==(const KernelPort&) const = default;
};

struct KernelPodPolicy {
  std::string pod;  // the workload uid, "ns/name"
  state::IpAddress ip;
  bool allow_list = false;                  // the ALLOW policies are enforced here too
  std::vector<std::string> deny_policies;   // DENY slot -> "ns/name"
  std::vector<std::string> allow_policies;  // ALLOW slot -> "ns/name"
  uint64_t deny_any_port = 0;               // DENY slots holding on every port (HBONE)
  uint64_t allow_some_port = 0;             // ALLOW slots holding on some port (HBONE)
  std::vector<KernelSource> sources;        // both families' /0 included when there are slots
  std::vector<KernelPort> ports;            // sorted by port, port 0 (the rest) first
  std::vector<std::string> left_to_daemon;  // "ns/name: why", for logs and zmeshctl
};

// A pod whose inbound connections the kernel checks: its workload uid and addresses.
struct KernelPolicyPod {
  std::string uid;
  std::vector<state::IpAddress> ips;
};

// One KernelPodPolicy per pod IP that has anything for the kernel (STRICT somewhere, a DENY
// slot, or an allow list). Pods unknown to the snapshot, and IPs the snapshot maps to
// another workload, are skipped.
std::vector<KernelPodPolicy> compile_kernel_policies(const state::Snapshot& snapshot,
                                                     const std::vector<KernelPolicyPod>& pods);

// The pods of `node` the kernel checks: workloads in the mesh, not host-network, running.
std::vector<KernelPolicyPod> kernel_policy_pods(const state::Snapshot& snapshot,
                                                const std::string& node);

// What the compiled entries decide, evaluated as bpf/lib/policy.h does (longest source
// prefix, the port's entry or the port-0 one): for tests and tools.
struct KernelVerdict {
  enum class Kind { kPass, kStrict, kDeny, kAllowMiss };
  Kind kind = Kind::kPass;
  std::string policy;  // the DENY policy of the lowest slot that refused
};
KernelVerdict kernel_decide(const KernelPodPolicy& policy, const state::IpAddress& src,
                            uint16_t port, bool hbone);

}  // namespace zmesh::rbac
