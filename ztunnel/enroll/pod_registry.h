// Enrolled pods: for each, its netns, its in-pod listeners and its BPF state (redirect
// entry and sk_lookup link). The mechanism only: which pods to enroll, and the state file,
// are the node agent's (node_agent.h). Lives on the control thread.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "proxy/listener.h"
#include "transport/pod_netns.h"
#include "transport/proxy_context.h"
#include "transport/worker_pool.h"

namespace zmesh::enroll {

class PodRegistry {
 public:
  PodRegistry(transport::ProxyContext& ctx, transport::WorkerPool& pool,
              std::vector<transport::WorkerState>& workers);
  ~PodRegistry();

  // Enrolls pod `uid` (must be in the config view, in the mesh). `netns` may be an already
  // open handle (from the control socket) or invalid (then `netns_path` is opened). The pod
  // IP is the view's, else `ip_hint` (a CNI ADD comes before the kubelet reports the IP).
  // Enrolling the same pod and netns again is a no-op; a new netns replaces the old.
  Result<void> enroll(const std::string& uid, const std::string& netns_path, UniqueFd netns,
                      std::optional<state::IpAddress> ip_hint = std::nullopt);
  Result<void> unenroll(const std::string& uid);
  bool enrolled(const std::string& uid) const { return pods_.count(uid) != 0; }
  std::optional<std::string> netns_path(const std::string& uid) const;

  // After a restart, once re-enrollment is done: BPF entries of pods not enrolled now.
  void drop_stale_bpf();

  nlohmann::json to_json() const;
  size_t size() const { return pods_.size(); }

 private:
  struct Entry {
    std::shared_ptr<transport::PodNetns> pod;
    std::unique_ptr<proxy::PodListeners> listeners;
  };
  Result<void> remove(const std::string& uid);

  transport::ProxyContext& ctx_;
  transport::WorkerPool& pool_;
  std::vector<transport::WorkerState>& workers_;
  std::map<std::string, Entry> pods_;
  uint32_t next_pod_id_ = 1;
};

}  // namespace zmesh::enroll
