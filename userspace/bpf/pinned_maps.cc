#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bpf/connection_limits.h"
#include "bpf/datapath.h"
#include "bpf/kernel_policy.h"
#include "bpf/libbpf_log.h"
#include "bpf/map_keys.h"
#include "bpf/pin_layout.h"
#include "common/unique_fd.h"
#include "zmesh.h"

namespace zmesh::bpf {

struct PinnedMap {
  UniqueFd fd;
  uint32_t max_entries = 0;
};

struct PinnedMaps::Fds {
  PinnedMap orig_dst;
  PinnedMap enrolled;
  PinnedMap stats;
  PinnedMap conn_limits;
  PinnedMap conn_counts;
  // Kernel L4 policy: optional, so tools still read pins of a build without them.
  PinnedMap pol_pods, pol_ports, pol_src4, pol_src6, pol_denials, pol_names;

  PolicyMapFds policy() const {
    return {pol_pods.fd.get(), pol_ports.fd.get(),   pol_src4.fd.get(),
            pol_src6.fd.get(), pol_denials.fd.get(), pol_names.fd.get()};
  }
};

namespace {

// Opens a pinned map and checks its layout, so a foreign or stale pin cannot be misread.
Result<PinnedMap> open_map(const PinLayout& layout, const std::string& name, uint32_t key_size,
                           uint32_t value_size) {
  std::string pin = layout.map(name);
  UniqueFd fd(bpf_obj_get(pin.c_str()));
  if (!fd) {
    if (errno == ENOENT)
      return make_error("no zmesh BPF pins at " + pin +
                        " (is the daemon running with this --bpf-pin-root?)");
    std::string hint = (errno == EPERM || errno == EACCES) ? " (needs root)" : "";
    return make_error("open " + pin + ": " + std::strerror(errno) + hint);
  }
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) return errno_error("info " + pin, errno);
  if (info.key_size != key_size || info.value_size != value_size)
    return make_error(pin + " has another layout than this build expects (ABI v" +
                      std::to_string(ZMESH_ABI_VERSION) + ")");
  return PinnedMap{std::move(fd), info.max_entries};
}

Result<void> check_abi(const PinLayout& layout) {
  auto config = open_map(layout, "zmesh_config", sizeof(uint32_t), sizeof(zmesh_config));
  if (!config) return config.error();
  uint32_t key = 0;
  zmesh_config value{};
  if (bpf_map_lookup_elem(config->fd.get(), &key, &value) != 0)
    return errno_error("read zmesh_config", errno);
  if (value.abi_version != ZMESH_ABI_VERSION)
    return make_error("pins under " + layout.root + " have map ABI v" +
                      std::to_string(value.abi_version) + ", this build expects v" +
                      std::to_string(ZMESH_ABI_VERSION));
  return ok();
}

// Calls fn(key) for each key. Bounded: a key deleted under us restarts the walk.
template <typename Key, typename Fn>
void for_each_key(const PinnedMap& map, Fn fn) {
  Key current{};
  Key next{};
  const Key* prev = nullptr;
  for (uint32_t i = 0; i < map.max_entries; ++i) {
    if (bpf_map_get_next_key(map.fd.get(), prev, &next) != 0) break;
    fn(next);
    current = next;
    prev = &current;
  }
}

std::string pod_name_of(const PinnedMap& enrolled, uint64_t netns_cookie) {
  zmesh_pod_info info{};
  if (bpf_map_lookup_elem(enrolled.fd.get(), &netns_cookie, &info) != 0) return {};
  return std::string(info.name, strnlen(info.name, sizeof(info.name)));
}

}  // namespace

PinnedMaps::PinnedMaps(std::unique_ptr<Fds> fds) : fds_(std::move(fds)) {}
PinnedMaps::PinnedMaps(PinnedMaps&&) noexcept = default;
PinnedMaps& PinnedMaps::operator=(PinnedMaps&&) noexcept = default;
PinnedMaps::~PinnedMaps() = default;

Result<PinnedMaps> PinnedMaps::open(const std::string& pin_root) {
  route_libbpf_logs_to_spdlog();
  PinLayout layout{pin_root};
  if (auto r = check_abi(layout); !r) return r.error();
  auto orig_dst =
      open_map(layout, "zmesh_orig_dst", sizeof(zmesh_tuple_key), sizeof(zmesh_orig_dst));
  if (!orig_dst) return orig_dst.error();
  auto enrolled =
      open_map(layout, "zmesh_enrolled_netns", sizeof(uint64_t), sizeof(zmesh_pod_info));
  if (!enrolled) return enrolled.error();
  auto stats = open_map(layout, "zmesh_conn_stats", sizeof(uint64_t), sizeof(zmesh_conn_stats));
  if (!stats) return stats.error();
  auto conn_limits =
      open_map(layout, "zmesh_conn_limits", sizeof(zmesh_conn_limit_key), sizeof(zmesh_conn_limit));
  if (!conn_limits) return conn_limits.error();
  auto conn_counts =
      open_map(layout, "zmesh_conn_counts", sizeof(zmesh_conn_limit_key), sizeof(zmesh_conn_count));
  if (!conn_counts) return conn_counts.error();
  auto fds = std::make_unique<Fds>();
  auto optional_map = [&](const char* name, uint32_t key_size, uint32_t value_size) {
    auto map = open_map(layout, name, key_size, value_size);
    return map ? std::move(*map) : PinnedMap{};
  };
  fds->pol_pods = optional_map("zmesh_pol_pods", sizeof(zmesh_ip), sizeof(zmesh_pod_policy));
  fds->pol_ports =
      optional_map("zmesh_pol_ports", sizeof(zmesh_pol_port_key), sizeof(zmesh_pol_port));
  fds->pol_src4 = optional_map("zmesh_pol_src4", sizeof(zmesh_pol_src4_key), sizeof(zmesh_pol_src));
  fds->pol_src6 = optional_map("zmesh_pol_src6", sizeof(zmesh_pol_src6_key), sizeof(zmesh_pol_src));
  fds->pol_denials =
      optional_map("zmesh_pol_denials", sizeof(zmesh_pol_count_key), sizeof(zmesh_pol_count));
  fds->pol_names = optional_map("zmesh_pol_names", sizeof(uint32_t), sizeof(zmesh_pol_name));
  fds->conn_limits = std::move(*conn_limits);
  fds->conn_counts = std::move(*conn_counts);
  fds->orig_dst = std::move(*orig_dst);
  fds->enrolled = std::move(*enrolled);
  fds->stats = std::move(*stats);
  return PinnedMaps(std::move(fds));
}

std::vector<Connection> PinnedMaps::connections() const {
  std::vector<Connection> out;
  for_each_key<zmesh_tuple_key>(fds_->orig_dst, [&](const zmesh_tuple_key& key) {
    zmesh_orig_dst orig{};
    if (bpf_map_lookup_elem(fds_->orig_dst.fd.get(), &key, &orig) != 0) return;
    out.push_back(Connection{key.netns_cookie, pod_name_of(fds_->enrolled, key.netns_cookie),
                             Endpoint(from_zmesh_ip(key.src_ip), key.src_port),
                             Endpoint(from_zmesh_ip(key.dst_ip), key.dst_port), to_endpoint(orig)});
  });
  return out;
}

std::vector<EnrolledNetns> PinnedMaps::enrolled() const {
  std::vector<EnrolledNetns> out;
  for_each_key<uint64_t>(fds_->enrolled, [&](uint64_t cookie) {
    zmesh_pod_info info{};
    if (bpf_map_lookup_elem(fds_->enrolled.fd.get(), &cookie, &info) != 0) return;
    out.push_back(EnrolledNetns{cookie, info.pod_id,
                                std::string(info.name, strnlen(info.name, sizeof(info.name)))});
  });
  return out;
}

std::vector<PodCounters> PinnedMaps::counters() const {
  std::vector<PodCounters> out;
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return out;
  // Per-CPU values: one (8-byte aligned) zmesh_conn_stats per possible CPU.
  static_assert(sizeof(zmesh_conn_stats) % 8 == 0);
  std::vector<zmesh_conn_stats> per_cpu(static_cast<size_t>(cpus));
  for_each_key<uint64_t>(fds_->stats, [&](uint64_t cookie) {
    if (bpf_map_lookup_elem(fds_->stats.fd.get(), &cookie, per_cpu.data()) != 0) return;
    PodCounters sum;
    sum.netns_cookie = cookie;
    sum.pod = pod_name_of(fds_->enrolled, cookie);
    for (const auto& c : per_cpu) {
      sum.outbound_redirected += c.outbound_redirected;
      sum.outbound_established += c.outbound_established;
      sum.outbound_closed += c.outbound_closed;
      sum.skipped_marked += c.skipped_marked;
      sum.inbound_steered += c.inbound_steered;
    }
    out.push_back(std::move(sum));
  });
  return out;
}

std::vector<ConnectionLimit> PinnedMaps::connection_limits() const {
  return read_connection_limits(fds_->conn_limits.fd.get(), fds_->conn_counts.fd.get());
}

std::vector<PodPolicy> PinnedMaps::kernel_policies() const {
  return read_kernel_policies(fds_->policy());
}

std::vector<PolicyDenials> PinnedMaps::policy_denials() const {
  return read_policy_denials(fds_->policy());
}

std::optional<Endpoint> PinnedMaps::lookup_orig_dst(uint64_t netns_cookie, const Endpoint& src,
                                                    const Endpoint& dst) const {
  zmesh_tuple_key key = make_tuple_key(netns_cookie, src, dst);
  zmesh_orig_dst orig{};
  if (bpf_map_lookup_elem(fds_->orig_dst.fd.get(), &key, &orig) != 0) return std::nullopt;
  return to_endpoint(orig);
}

}  // namespace zmesh::bpf
