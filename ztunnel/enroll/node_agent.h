// The node agent (istio-cni's role, inside ztunnel): follows the pods of this node and their
// mesh membership, and keeps the PodRegistry in step with them.
//   - zmesh-cni reports every sandbox (cni_add/cni_del/cni_check on the control socket): a
//     mesh pod is enrolled at once; any pod's netns is remembered, so a namespace labelled
//     later enrolls its running pods without a new ADD.
//   - Each config change: pods that left the mesh (label removed, =none, deleted, finished)
//     are unenrolled; pods that joined are enrolled from their known netns, or, with
//     --discover-pods, found by a scan of the node's namespaces for their IP (netns_scan.h).
//   - Sandboxes are kept in <run-dir>/enrolled.json: a restart re-enrolls what was enrolled
//     and forgets pods deleted meanwhile.
//   - <run-dir>/cni-namespaces.json lists the ambient namespaces, for the plugin to fail
//     closed for their pods while the daemon is down.
// Decisions are node_plan.h's pure functions; this class does the I/O. Control thread only.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"
#include "enroll/enrollment_file.h"
#include "enroll/netns_scan.h"
#include "enroll/pod_registry.h"
#include "state/store.h"

namespace zmesh::enroll {

struct NodeAgentOptions {
  std::string node;       // --node
  std::string run_dir;    // enrolled.json, cni-namespaces.json
  bool discover = false;  // --discover-pods: scan for pods whose CNI ADD we did not see
  ScanDirs scan;
};

class NodeAgent {
 public:
  NodeAgent(boost::asio::any_io_executor control, const state::Store& store, PodRegistry& registry,
            NodeAgentOptions options);

  // Once the config source has its first complete view: re-enroll from enrolled.json, drop
  // what is gone, then reconcile. Snapshots before it are ignored.
  void start();
  void on_snapshot(const state::Snapshot& snapshot);

  // Control ops (control.h); each returns the reply.
  nlohmann::json cni_add(const nlohmann::json& request, UniqueFd netns);
  nlohmann::json cni_del(const nlohmann::json& request);
  nlohmann::json cni_check(const nlohmann::json& request);
  // zmeshctl enroll / unenroll: the same registry, remembered like a CNI sandbox.
  Result<void> enroll(const std::string& uid, const std::string& netns_path, UniqueFd netns);
  Result<void> unenroll(const std::string& uid);

  // Every pod of this node (and reported sandboxes not in the view yet) with
  // {"pod","enrolled","reason","ip","netns"}, for status.
  nlohmann::json pods_json() const;

 private:
  struct Known : Sandbox {
    std::string last_error;
  };
  void reconcile(const state::Snapshot& snapshot);
  void scan_and_enroll(const state::Snapshot& snapshot, const std::vector<std::string>& uids);
  Result<void> enroll_known(const std::string& uid, UniqueFd fd);
  void write_namespaces(const state::Snapshot& snapshot);
  void save() const;
  void schedule_retry(std::chrono::steady_clock::duration delay);

  boost::asio::any_io_executor control_;
  const state::Store& store_;
  PodRegistry& registry_;
  NodeAgentOptions options_;
  std::map<std::string, Known> known_;
  bool started_ = false;
  std::string namespaces_written_;
  boost::asio::steady_timer retry_;
  bool retry_armed_ = false;
  std::chrono::seconds retry_delay_{2};
  std::chrono::steady_clock::time_point last_scan_{};
};

}  // namespace zmesh::enroll
