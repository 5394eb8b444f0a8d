#include "enroll/node_plan.h"

#include <algorithm>

namespace zmesh::enroll {

std::vector<NodeStep> plan_node(const std::vector<PodFacts>& pods,
                                const std::map<std::string, SandboxFacts>& sandboxes,
                                const std::set<std::string>& enrolled, bool discover) {
  std::vector<NodeStep> unenroll, forget, enroll, scan;
  std::map<std::string, const PodFacts*> by_uid;
  for (const auto& p : pods) by_uid[p.uid] = &p;

  for (const auto& uid : enrolled) {
    auto it = by_uid.find(uid);
    if (it == by_uid.end())
      unenroll.push_back({NodeStep::kUnenroll, uid, "pod deleted"});
    else if (it->second->terminated)
      unenroll.push_back({NodeStep::kUnenroll, uid, "pod terminated"});
    else if (!it->second->member)
      unenroll.push_back({NodeStep::kUnenroll, uid, "left the mesh: " + it->second->mesh_reason});
  }
  for (const auto& [uid, s] : sandboxes) {
    // Not in the view: deleted if it was there before; else the watch may just lag a CNI ADD.
    if (!by_uid.count(uid) && s.seen) forget.push_back({NodeStep::kForget, uid, "pod deleted"});
  }
  for (const auto& p : pods) {
    if (!p.member || p.terminated || enrolled.count(p.uid)) continue;
    auto s = sandboxes.find(p.uid);
    if (s != sandboxes.end() && s->second.has_netns) {
      enroll.push_back({NodeStep::kEnroll, p.uid, p.mesh_reason});
    } else if (p.on_this_node && discover && p.has_ipv4) {
      scan.push_back({NodeStep::kScan, p.uid, p.mesh_reason});
    }
  }
  std::vector<NodeStep> out;
  for (auto* part : {&unenroll, &forget, &enroll, &scan}) {
    std::sort(part->begin(), part->end(),
              [](const NodeStep& a, const NodeStep& b) { return a.uid < b.uid; });
    out.insert(out.end(), part->begin(), part->end());
  }
  return out;
}

std::string pod_status_reason(const PodFacts& pod, const SandboxFacts* sandbox, bool enrolled,
                              bool discover) {
  if (enrolled) return pod.mesh_reason;
  if (!pod.member) return pod.mesh_reason;
  if (pod.terminated) return "pod terminated";
  if (sandbox && !sandbox->last_error.empty()) return "enrollment failed: " + sandbox->last_error;
  if (sandbox && sandbox->has_netns) return "enrolling";
  if (!discover) return "waiting for a CNI ADD or zmeshctl enroll (pod discovery is off)";
  if (!pod.has_ipv4) return "waiting for a CNI ADD or its pod IP";
  return "waiting for a CNI ADD (no network namespace with its IP found)";
}

}  // namespace zmesh::enroll
