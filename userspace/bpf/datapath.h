// The node's BPF datapath: loads (or reuses pinned) redirect programs and maps, attaches
// them to the node's cgroup subtree, and exposes the few operations the daemon needs.
// Everything is pinned under <pin_root>/{maps,links}/ so a restarted daemon carries on:
//   maps/<map name>                         every map of bpf/lib/maps.h
//   links/cgroup_connect4, cgroup_connect6, cgroup_sockops, cgroup_sock_release
//   links/sk_lookup_<pin_name(pod_key)>     one per pod with inbound steering
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace zmesh::bpf {

using Endpoint = boost::asio::ip::tcp::endpoint;

struct DatapathOptions {
  std::string pin_root;     // e.g. /sys/fs/bpf/zmesh/<node>; must be on bpffs
  std::string cgroup_path;  // cgroup v2 directory holding this node's pods
  uint32_t mark = 0x539;    // SO_MARK of daemon sockets
};

// Live redirected connection, as recorded in zmesh_orig_dst.
struct Connection {
  uint64_t netns_cookie = 0;
  std::string pod;  // "ns/name" from zmesh_enrolled_netns, empty if unknown
  Endpoint src;     // app socket's local address
  Endpoint dst;     // redirect target (loopback:15001)
  Endpoint orig_dst;
};

struct EnrolledNetns {
  uint64_t netns_cookie = 0;
  uint32_t pod_id = 0;
  std::string pod;
};

// Sum over CPUs of zmesh_conn_stats for one netns.
struct PodCounters {
  uint64_t netns_cookie = 0;
  std::string pod;
  uint64_t outbound_redirected = 0;
  uint64_t outbound_established = 0;
  uint64_t outbound_closed = 0;
  uint64_t skipped_marked = 0;
  uint64_t inbound_steered = 0;
};

// A Service VIP:port with a kernel-enforced maxConnections (bpf/lib/conn_limit.h), node-wide.
struct ConnectionLimit {
  Endpoint destination;
  uint32_t max_connections = 0;  // 0: limit removed, connections still holding slots
  uint32_t active = 0;           // app sockets of this node's pods holding a slot
  uint64_t rejected = 0;         // connects refused at the limit
};

// One pod IP's identity-free L4 policy as the kernel holds it (bpf/lib/policy.h, the
// zmesh_pol_* maps): rule slots are bits; sources and ports say which slots hold there.
struct PolicySource {
  boost::asio::ip::address prefix;  // host bits zero
  uint8_t prefix_len = 0;
  uint64_t deny = 0;
  uint64_t allow = 0;
  bool operator==(const PolicySource&) const = default;
};
struct PolicyPort {
  uint16_t port = 0;  // 0: every port not listed
  uint64_t deny = 0;
  uint64_t allow = 0;
  bool strict = false;  // PeerAuthentication STRICT: plaintext refused
  bool operator==(const PolicyPort&) const = default;
};
struct PodPolicy {
  std::string pod;  // "ns/name"
  boost::asio::ip::address ip;
  bool allow_list = false;
  std::vector<std::string> deny_policies;   // slot -> "ns/name" (at most 64)
  std::vector<std::string> allow_policies;  // slot -> "ns/name" (at most 64)
  uint64_t deny_any_port = 0;
  uint64_t allow_some_port = 0;
  std::vector<PolicySource> sources;
  std::vector<PolicyPort> ports;
  bool operator==(const PodPolicy&) const = default;
};

// Connections the kernel policy refused, per pod IP and policy.
struct PolicyDenials {
  boost::asio::ip::address pod_ip;
  std::string pod;  // "ns/name", empty once the pod has no kernel policy
  uint32_t policy_id = 0;
  std::string policy;  // "ns/name", or "PeerAuthentication STRICT", "no ALLOW policy matched"
  uint64_t denied = 0;
};

// Read-only access to the pinned maps (what zmeshctl and tests use). Fails if there are
// no pins, or if they were made by a build with another map ABI.
class PinnedMaps {
 public:
  static Result<PinnedMaps> open(const std::string& pin_root);
  PinnedMaps(PinnedMaps&&) noexcept;
  PinnedMaps& operator=(PinnedMaps&&) noexcept;
  ~PinnedMaps();

  std::vector<Connection> connections() const;
  std::vector<EnrolledNetns> enrolled() const;
  std::vector<PodCounters> counters() const;
  std::vector<ConnectionLimit> connection_limits() const;
  // The kernel L4 policy maps (empty when pins of an older build lack them).
  std::vector<PodPolicy> kernel_policies() const;
  std::vector<PolicyDenials> policy_denials() const;
  // See Datapath::lookup_orig_dst.
  std::optional<Endpoint> lookup_orig_dst(uint64_t netns_cookie, const Endpoint& src,
                                          const Endpoint& dst) const;

 private:
  struct Fds;
  explicit PinnedMaps(std::unique_ptr<Fds> fds);
  std::unique_ptr<Fds> fds_;
};

class Datapath {
 public:
  // Loads the programs; reuses pinned maps when their definitions and ABI version match
  // (then `reused()` is true). Pinned links are updated in place with the new programs
  // (never detached, never attached twice). Clear errors for missing bpffs, a path that
  // is not cgroup v2, or missing privileges.
  static Result<std::unique_ptr<Datapath>> open(const DatapathOptions& options);

  // Detaches every pinned link and removes all pins under pin_root (lab teardown,
  // `zmeshctl cleanup`). Fine if nothing is there.
  static Result<void> remove_pins(const std::string& pin_root);

  // Destroying the object closes its fds only: pins (and so redirection) stay.
  virtual ~Datapath() = default;

  virtual bool reused() const = 0;

  // Redirect outbound TCP of this netns (connect4/6 + sockops). unenroll also drops the
  // netns's counters (read them first if needed). Both are idempotent.
  virtual Result<void> enroll_netns(uint64_t netns_cookie, uint32_t pod_id,
                                    const std::string& pod) = 0;
  virtual Result<void> unenroll_netns(uint64_t netns_cookie) = 0;

  // Steer inbound TCP for pod_ip (arriving from outside the pod) to listener_fd, a
  // listening TCP socket in that netns (for an IPv6 pod_ip it must accept IPv6), with an
  // sk_lookup program attached to the netns. The link is pinned as
  // links/sk_lookup_<pin_name(pod_key)>; re-attaching replaces listener and program.
  // Connections to the mesh ports, to loopback, or from pod_ip itself are never steered.
  virtual Result<void> attach_inbound(int netns_fd, const std::string& pod_key,
                                      const boost::asio::ip::address& pod_ip, int listener_fd) = 0;
  virtual Result<void> detach_inbound(const std::string& pod_key,
                                      const boost::asio::ip::address& pod_ip) = 0;

  // Original destination of a connection accepted on 15001: src = the accepted socket's
  // peer, dst = its local address, netns_cookie = SO_NETNS_COOKIE of the accepted socket.
  // IPv4-mapped destinations come back as IPv4. Valid while the app socket is open.
  virtual std::optional<Endpoint> lookup_orig_dst(uint64_t netns_cookie, const Endpoint& src,
                                                  const Endpoint& dst) const = 0;

  // Makes `limits` (Service VIP:port -> maxConnections) the kernel's connection limits:
  // changed ones are rewritten, others deleted; live counts are never reset.
  virtual Result<void> set_connection_limits(const std::map<Endpoint, uint32_t>& limits) = 0;

  // Makes `policies` the kernel's L4 policy (one entry per pod IP): a pod whose entries
  // change is first taken out of the check (its connections pass to the daemon), then
  // rewritten; pods not listed are removed, with their refusal counters.
  virtual Result<void> set_kernel_policies(const std::vector<PodPolicy>& policies) = 0;

  virtual const PinnedMaps& maps() const = 0;
};

// Pin-safe, injective form of a pod key: [A-Za-z0-9-] kept, '/' -> '_', any other byte
// -> "~xx" (hex); bpffs refuses '.' in names. "default/web.1" -> "default_web~2e1".
std::string pin_name(const std::string& pod_key);

}  // namespace zmesh::bpf
