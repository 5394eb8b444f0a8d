// Enrolled pods: for each, its netns, its in-pod listeners and its BPF state (redirect
// entry and sk_lookup link). Lives on the control thread.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
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
              std::vector<transport::WorkerState>& workers, std::string state_file);
  ~PodRegistry();

  // Enrolls pod `uid` (must be in the config view, in an ambient namespace). `netns` may be
  // an already open handle (from the control socket) or invalid (then `netns_path` is
  // opened). Enrolling the same pod and netns again is a no-op.
  Result<void> enroll(const std::string& uid, const std::string& netns_path, UniqueFd netns);
  Result<void> unenroll(const std::string& uid);

  // After a restart: re-enroll what the state file lists and drop BPF entries of pods that
  // are gone.
  void restore();

  // Config changed: pods deleted or moved out of the mesh are unenrolled.
  void on_snapshot(const state::Snapshot& snapshot);

  nlohmann::json to_json() const;
  size_t size() const { return pods_.size(); }

 private:
  struct Entry {
    std::shared_ptr<transport::PodNetns> pod;
    std::unique_ptr<proxy::PodListeners> listeners;
  };
  Result<void> remove(const std::string& uid);
  void save() const;

  transport::ProxyContext& ctx_;
  transport::WorkerPool& pool_;
  std::vector<transport::WorkerState>& workers_;
  std::string state_file_;
  std::map<std::string, Entry> pods_;
  uint32_t next_pod_id_ = 1;
};

}  // namespace zmesh::enroll
