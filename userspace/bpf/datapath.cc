#include "bpf/datapath.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "bpf/bpf_handles.h"
#include "bpf/connection_limits.h"
#include "bpf/kernel_policy.h"
#include "bpf/libbpf_log.h"
#include "bpf/map_keys.h"
#include "bpf/map_pins.h"
#include "bpf/pin_layout.h"
#include "bpf/pinned_link.h"
#include "common/unique_fd.h"
#include "netns/netns.h"
#include "zmesh.h"

namespace zmesh::bpf {
namespace {

struct Cgroup {
  UniqueFd fd;
  uint64_t id = 0;  // cgroup v2 id == inode of its directory
};

Result<Cgroup> open_cgroup(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return errno_error("open cgroup " + path, errno);
  struct statfs sfs;
  struct stat st;
  if (::fstatfs(fd.get(), &sfs) != 0 || ::fstat(fd.get(), &st) != 0)
    return errno_error("stat cgroup " + path, errno);
  if (static_cast<unsigned long>(sfs.f_type) != CGROUP2_SUPER_MAGIC)
    return make_error(path +
                      " is not a cgroup v2 directory (find the cgroup2 mount in /proc/mounts)");
  return Cgroup{std::move(fd), st.st_ino};
}

Error load_error(int err) {
  Error e = errno_error("load BPF programs", err);
  if (err == EPERM || (err == EACCES && ::geteuid() != 0))
    e.message += " (needs root, or CAP_BPF + CAP_NET_ADMIN + CAP_SYS_ADMIN)";
  return e;
}

// Deleting what is not there is success: enroll/unenroll and detach are idempotent.
Result<void> delete_elem(bpf_map* map, const void* key, size_t key_size, const char* what) {
  int err = bpf_map__delete_elem(map, key, key_size, 0);
  if (err != 0 && err != -ENOENT) return errno_error(what, -err);
  return ok();
}

class KernelDatapath final : public Datapath {
 public:
  KernelDatapath(PinLayout layout, Skeleton skel, PinnedMaps maps, bool reused)
      : layout_(std::move(layout)),
        skel_(std::move(skel)),
        maps_(std::move(maps)),
        reused_(reused) {}

  bool reused() const override { return reused_; }

  Result<void> enroll_netns(uint64_t netns_cookie, uint32_t pod_id,
                            const std::string& pod) override {
    zmesh_pod_info info;
    std::memset(&info, 0, sizeof(info));
    info.pod_id = pod_id;
    std::snprintf(info.name, sizeof(info.name), "%s", pod.c_str());
    int err = bpf_map__update_elem(skel_->maps.zmesh_enrolled_netns, &netns_cookie,
                                   sizeof(netns_cookie), &info, sizeof(info), BPF_ANY);
    if (err != 0) return errno_error("enroll netns of " + pod, -err);
    return ok();
  }

  Result<void> unenroll_netns(uint64_t netns_cookie) override {
    if (auto r = delete_elem(skel_->maps.zmesh_enrolled_netns, &netns_cookie, sizeof(netns_cookie),
                             "unenroll netns");
        !r)
      return r;
    return delete_elem(skel_->maps.zmesh_conn_stats, &netns_cookie, sizeof(netns_cookie),
                       "delete netns counters");
  }

  Result<void> attach_inbound(int netns_fd, const std::string& pod_key,
                              const boost::asio::ip::address& pod_ip, int listener_fd) override {
    struct stat netns_st;
    if (::fstat(netns_fd, &netns_st) != 0) return errno_error("stat netns of " + pod_key, errno);
    // The listener lives in the pod netns, so its netns cookie is the pod's (no setns).
    auto cookie = netns::socket_cookie_of_netns(listener_fd);
    if (!cookie) return cookie.error();

    zmesh_ip key = to_zmesh_ip(pod_ip);
    uint64_t fd_value = static_cast<uint64_t>(listener_fd);
    int err = bpf_map__update_elem(skel_->maps.zmesh_inbound_listeners, &key, sizeof(key),
                                   &fd_value, sizeof(fd_value), BPF_ANY);
    if (err != 0)
      return errno_error("register inbound listener of " + pod_key + " (a listening TCP socket?)",
                         -err);
    err = bpf_map__update_elem(skel_->maps.zmesh_inbound_netns, &key, sizeof(key), &*cookie,
                               sizeof(uint64_t), BPF_ANY);
    if (err != 0) return errno_error("register inbound netns of " + pod_key, -err);

    bpf_program* prog = skel_->progs.zmesh_sk_lookup;
    LinkTarget target{BPF_LINK_TYPE_NETNS, BPF_SK_LOOKUP, netns_st.st_ino};
    return attach_or_update_pinned(layout_.link(kLinkSkLookupPrefix + pin_name(pod_key)), prog,
                                   target,
                                   [&] { return bpf_program__attach_netns(prog, netns_fd); });
  }

  Result<void> detach_inbound(const std::string& pod_key,
                              const boost::asio::ip::address& pod_ip) override {
    if (auto r = detach_pinned(layout_.link(kLinkSkLookupPrefix + pin_name(pod_key))); !r) return r;
    zmesh_ip key = to_zmesh_ip(pod_ip);
    if (auto r = delete_elem(skel_->maps.zmesh_inbound_listeners, &key, sizeof(key),
                             "delete inbound listener");
        !r)
      return r;
    return delete_elem(skel_->maps.zmesh_inbound_netns, &key, sizeof(key), "delete inbound netns");
  }

  std::optional<Endpoint> lookup_orig_dst(uint64_t netns_cookie, const Endpoint& src,
                                          const Endpoint& dst) const override {
    return maps_.lookup_orig_dst(netns_cookie, src, dst);
  }

  Result<void> set_connection_limits(const std::map<Endpoint, uint32_t>& limits) override {
    std::vector<std::string> changes;
    auto r = sync_connection_limits(bpf_map__fd(skel_->maps.zmesh_conn_limits),
                                    bpf_map__fd(skel_->maps.zmesh_conn_counts), limits, &changes);
    for (const auto& line : changes) spdlog::info("bpf: connection limits: {}", line);
    return r;
  }

  Result<void> set_kernel_policies(const std::vector<PodPolicy>& policies) override {
    PolicyMapFds fds{
        bpf_map__fd(skel_->maps.zmesh_pol_pods),    bpf_map__fd(skel_->maps.zmesh_pol_ports),
        bpf_map__fd(skel_->maps.zmesh_pol_src4),    bpf_map__fd(skel_->maps.zmesh_pol_src6),
        bpf_map__fd(skel_->maps.zmesh_pol_denials), bpf_map__fd(skel_->maps.zmesh_pol_names)};
    std::vector<std::string> changes;
    auto r = sync_kernel_policies(fds, policies, &changes);
    for (const auto& line : changes) spdlog::info("bpf: {}", line);
    return r;
  }

  const PinnedMaps& maps() const override { return maps_; }

 private:
  PinLayout layout_;
  Skeleton skel_;
  PinnedMaps maps_;
  bool reused_;
};

Result<void> write_config(zmesh_redirect* skel, uint32_t mark) {
  zmesh_config config;
  std::memset(&config, 0, sizeof(config));
  config.abi_version = ZMESH_ABI_VERSION;
  config.mark = mark;
  config.outbound_port = ZMESH_PORT_OUTBOUND;
  config.inbound_plain_port = ZMESH_PORT_INBOUND_PLAIN;
  config.inbound_hbone_port = ZMESH_PORT_INBOUND_HBONE;
  uint32_t key = 0;
  int err = bpf_map__update_elem(skel->maps.zmesh_config, &key, sizeof(key), &config,
                                 sizeof(config), BPF_ANY);
  if (err != 0) return errno_error("write zmesh_config", -err);
  return ok();
}

// sockops and sock_release first: a connection redirected (and maybe counted against a
// connection limit) by connect4/6 must find them when established and closed.
Result<void> attach_cgroup_programs(zmesh_redirect* skel, const PinLayout& layout,
                                    const Cgroup& cgroup) {
  struct Attachment {
    bpf_program* prog;
    const char* pin;
    bpf_attach_type type;
  };
  const Attachment attachments[] = {
      {skel->progs.zmesh_sockops, kLinkSockops, BPF_CGROUP_SOCK_OPS},
      {skel->progs.zmesh_sock_release, kLinkSockRelease, BPF_CGROUP_INET_SOCK_RELEASE},
      {skel->progs.zmesh_connect6, kLinkConnect6, BPF_CGROUP_INET6_CONNECT},
      {skel->progs.zmesh_connect4, kLinkConnect4, BPF_CGROUP_INET4_CONNECT},
  };
  for (const auto& a : attachments) {
    LinkTarget target{BPF_LINK_TYPE_CGROUP, static_cast<uint32_t>(a.type), cgroup.id};
    auto r = attach_or_update_pinned(layout.link(a.pin), a.prog, target, [&] {
      return bpf_program__attach_cgroup(a.prog, cgroup.fd.get());
    });
    if (!r) return r;
  }
  return ok();
}

}  // namespace

Result<std::unique_ptr<Datapath>> Datapath::open(const DatapathOptions& options) {
  route_libbpf_logs_to_spdlog();
  PinLayout layout{options.pin_root};
  if (auto r = check_on_bpffs(options.pin_root); !r) return r.error();
  auto cgroup = open_cgroup(options.cgroup_path);
  if (!cgroup) return cgroup.error();
  if (auto r = make_pin_dirs(layout); !r) return r.error();

  Skeleton skel(zmesh_redirect__open());
  if (!skel) return errno_error("open BPF skeleton", errno);
  auto reused = prepare_map_pins(skel->obj, layout);
  if (!reused) return reused.error();
  if (int err = zmesh_redirect__load(skel.get()); err != 0) return load_error(-err);
  // Before any attach/update: the programs do nothing until they see this record.
  if (auto r = write_config(skel.get(), options.mark); !r) return r.error();
  if (auto r = attach_cgroup_programs(skel.get(), layout, *cgroup); !r) return r.error();

  auto maps = PinnedMaps::open(options.pin_root);
  if (!maps) return maps.error();
  spdlog::info("bpf: datapath {} pins under {}, attached to {}", *reused ? "reused" : "created",
               options.pin_root, options.cgroup_path);
  return std::unique_ptr<Datapath>(std::make_unique<KernelDatapath>(
      std::move(layout), std::move(skel), std::move(*maps), *reused));
}

Result<void> Datapath::remove_pins(const std::string& pin_root) {
  return remove_pin_tree(PinLayout{pin_root});
}

std::string pin_name(const std::string& pod_key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : pod_key) {
    if (std::isalnum(c) || c == '-') {
      out += static_cast<char>(c);
    } else if (c == '/') {
      out += '_';
    } else {
      out += '~';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace zmesh::bpf
