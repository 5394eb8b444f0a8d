// The node agent's decisions as pure functions over data (tested as tables): given the pods
// of the config view, the sandboxes this node knows and what is enrolled, which pods to
// enroll from a known netns, which to look for by a netns scan, which to unenroll, which
// sandboxes to forget; and the one-line reason `zmeshctl status` shows for each pod.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace zmesh::enroll {

// A pod of the config view, reduced to what the decisions read.
struct PodFacts {
  std::string uid;
  bool on_this_node = false;  // spec.nodeName is this daemon's --node
  bool member = false;        // state::mesh_membership
  bool terminated = false;    // phase Succeeded/Failed
  bool has_ipv4 = false;      // status.podIPs has an IPv4 address (the scan needs one)
  std::string mesh_reason;
};

// A sandbox this node knows (enrollment_file.h), reduced.
struct SandboxFacts {
  bool has_netns = false;
  bool seen = false;
  std::string last_error;  // the last failed enrollment, if any
};

struct NodeStep {
  enum Kind { kEnroll, kScan, kUnenroll, kForget };
  Kind kind;
  std::string uid;
  std::string why;
  bool operator==(const NodeStep&) const = default;
};

// `pods`: every pod of the view; `sandboxes`: by uid; `enrolled`: uids enrolled now;
// `discover`: whether pods without a known sandbox are searched for (--discover-pods).
// Order of the result: unenroll, forget, enroll, scan; within a kind by uid.
std::vector<NodeStep> plan_node(const std::vector<PodFacts>& pods,
                                const std::map<std::string, SandboxFacts>& sandboxes,
                                const std::set<std::string>& enrolled, bool discover);

// Why a pod of this node is (not) enrolled, for zmeshctl status.
std::string pod_status_reason(const PodFacts& pod, const SandboxFacts* sandbox, bool enrolled,
                              bool discover);

}  // namespace zmesh::enroll
