// The node's BPF datapath: loads (or reuses pinned) redirect programs and maps, attaches
// them to the node's cgroup subtree, and exposes the few operations the daemon needs.
// Everything is pinned under <pin_root>/{maps,links}/ so a restarted daemon carries on.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace zmesh::bpf {

using Endpoint = boost::asio::ip::tcp::endpoint;

struct DatapathOptions {
  std::string pin_root;     // e.g. /sys/fs/bpf/zmesh/<node>
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

// Read-only access to the pinned maps (what zmeshctl and tests use).
class PinnedMaps {
 public:
  static Result<PinnedMaps> open(const std::string& pin_root);
  PinnedMaps(PinnedMaps&&) noexcept;
  PinnedMaps& operator=(PinnedMaps&&) noexcept;
  ~PinnedMaps();

  std::vector<Connection> connections() const;
  std::vector<EnrolledNetns> enrolled() const;
  std::vector<PodCounters> counters() const;
  std::optional<Endpoint> lookup_orig_dst(uint64_t netns_cookie, const Endpoint& src,
                                          const Endpoint& dst) const;

 private:
  struct Fds;
  explicit PinnedMaps(std::unique_ptr<Fds> fds);
  std::unique_ptr<Fds> fds_;
};

class Datapath {
 public:
  // Loads the programs; reuses pinned maps and links when their ABI version matches
  // (then `reused()` is true and links are updated in place with the new programs).
  static Result<std::unique_ptr<Datapath>> open(const DatapathOptions& options);
  virtual ~Datapath() = default;

  virtual bool reused() const = 0;

  // Redirect outbound TCP of this netns (connect4/6 + sockops).
  virtual Result<void> enroll_netns(uint64_t netns_cookie, uint32_t pod_id,
                                    const std::string& pod) = 0;
  virtual Result<void> unenroll_netns(uint64_t netns_cookie) = 0;

  // Steer inbound TCP for pod_ip (arriving from outside the pod) to listener_fd, a
  // listening socket in that netns, with an sk_lookup program attached to the netns.
  // The link is pinned as links/sk_lookup_<pod_key>; re-attaching replaces it.
  virtual Result<void> attach_inbound(int netns_fd, const std::string& pod_key,
                                      const boost::asio::ip::address& pod_ip,
                                      int listener_fd) = 0;
  virtual Result<void> detach_inbound(const std::string& pod_key,
                                      const boost::asio::ip::address& pod_ip) = 0;

  // Original destination of a connection accepted on 15001 (src = peer, dst = local).
  virtual std::optional<Endpoint> lookup_orig_dst(uint64_t netns_cookie, const Endpoint& src,
                                                  const Endpoint& dst) const = 0;

  virtual const PinnedMaps& maps() const = 0;
};

// Pin-safe form of a pod key ("ns/name" -> "ns_name"), used in pin file names.
std::string pin_name(const std::string& pod_key);

}  // namespace zmesh::bpf
