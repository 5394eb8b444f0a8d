#include "enroll/pod_registry.h"

#include <spdlog/spdlog.h>

#include <set>

#include "netns/netns.h"

namespace zmesh::enroll {

PodRegistry::PodRegistry(transport::ProxyContext& ctx, transport::WorkerPool& pool,
                         std::vector<transport::WorkerState>& workers)
    : ctx_(ctx), pool_(pool), workers_(workers) {}

PodRegistry::~PodRegistry() = default;

Result<void> PodRegistry::enroll(const std::string& uid, const std::string& netns_path,
                                 UniqueFd netns, std::optional<state::IpAddress> ip_hint) {
  auto snapshot = ctx_.store.current();
  auto workload = snapshot->workload_by_uid(uid);
  if (!workload) return make_error("pod " + uid + " is not in the config view");
  if (!workload->ambient)
    return make_error("pod " + uid + " is not in the mesh: neither namespace " +
                      workload->namespace_ + " nor the pod has label " +
                      state::kDataplaneModeLabel + "=" + state::kDataplaneModeAmbient);
  auto ip = std::find_if(workload->ips.begin(), workload->ips.end(),
                         [](const auto& a) { return a.is_v4(); });
  std::optional<state::IpAddress> pod_ip;
  if (ip != workload->ips.end())
    pod_ip = *ip;
  else if (ip_hint && ip_hint->is_v4())
    pod_ip = ip_hint;
  if (!pod_ip) return make_error("pod " + uid + " has no IPv4 pod IP yet");

  if (!netns) {
    auto opened = netns::open(netns_path);
    if (!opened) return opened.error();
    netns = std::move(*opened);
  }
  auto cookie = netns::cookie(netns.get());
  if (!cookie) return make_error("pod " + uid + ": " + cookie.error().message);

  if (auto it = pods_.find(uid); it != pods_.end()) {
    if (it->second.pod->cookie == *cookie) return ok();
    if (auto r = remove(uid); !r) return r;  // same pod, new sandbox
  }

  auto pod = std::make_shared<transport::PodNetns>();
  pod->uid = uid;
  pod->netns_path = netns_path;
  pod->netns = std::move(netns);
  pod->cookie = *cookie;
  pod->ip = *pod_ip;
  pod->identity = ctx_.secrets.track(
      identity::SpiffeId{ctx_.trust_domain, workload->namespace_, workload->service_account});

  auto listeners = proxy::PodListeners::open(ctx_, pool_, workers_, pod);
  if (!listeners) return listeners.error();
  if (auto r =
          ctx_.datapath.attach_inbound(pod->netns.get(), uid, pod->ip, (*listeners)->inbound_fd());
      !r)
    return make_error("pod " + uid + ": inbound steering: " + r.error().message);
  if (auto r = ctx_.datapath.enroll_netns(pod->cookie, next_pod_id_++, uid); !r) {
    (void)ctx_.datapath.detach_inbound(uid, pod->ip);
    return make_error("pod " + uid + ": outbound redirect: " + r.error().message);
  }
  spdlog::info("enrolled pod {} (netns {}, cookie {}, ip {}, identity {})", uid, netns_path,
               pod->cookie, pod->ip.to_string(), pod->identity->id().uri());
  pods_[uid] = Entry{std::move(pod), std::move(*listeners)};
  return ok();
}

Result<void> PodRegistry::remove(const std::string& uid) {
  auto it = pods_.find(uid);
  if (it == pods_.end()) return make_error("pod " + uid + " is not enrolled");
  const auto& pod = *it->second.pod;
  auto r1 = ctx_.datapath.unenroll_netns(pod.cookie);
  auto r2 = ctx_.datapath.detach_inbound(uid, pod.ip);
  pods_.erase(it);  // closes the listeners; live connections finish on their own
  if (!r1) return r1;
  if (!r2) return r2;
  return ok();
}

Result<void> PodRegistry::unenroll(const std::string& uid) {
  auto r = remove(uid);
  if (r) spdlog::info("unenrolled pod {}", uid);
  return r;
}

std::optional<std::string> PodRegistry::netns_path(const std::string& uid) const {
  auto it = pods_.find(uid);
  if (it == pods_.end()) return std::nullopt;
  return it->second.pod->netns_path;
}

void PodRegistry::drop_stale_bpf() {
  std::set<uint64_t> live;
  for (const auto& [uid, e] : pods_) live.insert(e.pod->cookie);
  for (const auto& stale : ctx_.datapath.maps().enrolled()) {
    if (live.count(stale.netns_cookie)) continue;
    spdlog::info("dropping stale BPF enrollment of {} (cookie {})", stale.pod, stale.netns_cookie);
    (void)ctx_.datapath.unenroll_netns(stale.netns_cookie);
    (void)ctx_.datapath.detach_inbound(stale.pod, {});
  }
}

nlohmann::json PodRegistry::to_json() const {
  auto out = nlohmann::json::array();
  for (const auto& [uid, e] : pods_)
    out.push_back({{"pod", uid},
                   {"netns", e.pod->netns_path},
                   {"netnsCookie", e.pod->cookie},
                   {"ip", e.pod->ip.to_string()},
                   {"identity", e.pod->identity ? e.pod->identity->id().uri() : ""}});
  return out;
}

}  // namespace zmesh::enroll
