// The node agent's decisions (enroll/node_plan.h) as tables: which pods join, leave, are
// looked for, and which sandboxes are forgotten; and the reason status shows.
#include <gtest/gtest.h>

#include "enroll/node_plan.h"

namespace zmesh::enroll {
namespace {

PodFacts mesh_pod(const std::string& uid) {
  return {uid, true, true, false, true, "namespace mesh has istio.io/dataplane-mode=ambient"};
}
PodFacts plain_pod(const std::string& uid) {
  return {uid, true, false, false, true, "namespace plain is not in ambient mode"};
}

TEST(NodePlan, Table) {
  using K = NodeStep::Kind;
  PodFacts terminated = mesh_pod("mesh/done");
  terminated.terminated = true;
  PodFacts elsewhere = mesh_pod("mesh/elsewhere");
  elsewhere.on_this_node = false;
  PodFacts no_ip = mesh_pod("mesh/no-ip");
  no_ip.has_ipv4 = false;
  PodFacts opted_out = plain_pod("mesh/out");
  opted_out.mesh_reason = "pod label istio.io/dataplane-mode=none";

  struct Case {
    const char* name;
    std::vector<PodFacts> pods;
    std::map<std::string, SandboxFacts> sandboxes;
    std::set<std::string> enrolled;
    bool discover;
    std::vector<NodeStep> want;
  };
  const Case cases[] = {
      {"nothing to do", {mesh_pod("mesh/a")}, {{"mesh/a", {true, true, ""}}}, {"mesh/a"}, true, {}},
      {"namespace labelled: enroll from the known sandbox",
       {mesh_pod("mesh/a")},
       {{"mesh/a", {true, true, ""}}},
       {},
       false,
       {{K::kEnroll, "mesh/a", "namespace mesh has istio.io/dataplane-mode=ambient"}}},
      {"label removed: unenroll, keep the sandbox",
       {plain_pod("mesh/a")},
       {{"mesh/a", {true, true, ""}}},
       {"mesh/a"},
       true,
       {{K::kUnenroll, "mesh/a", "left the mesh: namespace plain is not in ambient mode"}}},
      {"pod label none",
       {opted_out},
       {{"mesh/out", {true, true, ""}}},
       {"mesh/out"},
       true,
       {{K::kUnenroll, "mesh/out", "left the mesh: pod label istio.io/dataplane-mode=none"}}},
      {"pod deleted: unenroll and forget",
       {},
       {{"mesh/a", {true, true, ""}}},
       {"mesh/a"},
       true,
       {{K::kUnenroll, "mesh/a", "pod deleted"}, {K::kForget, "mesh/a", "pod deleted"}}},
      {"CNI ADD ahead of the watch: kept", {}, {{"mesh/new", {true, false, ""}}}, {}, true, {}},
      {"terminated pod leaves",
       {terminated},
       {{"mesh/done", {true, true, ""}}},
       {"mesh/done"},
       true,
       {{K::kUnenroll, "mesh/done", "pod terminated"}}},
      {"running pod without a sandbox: scan",
       {mesh_pod("mesh/old")},
       {},
       {},
       true,
       {{K::kScan, "mesh/old", "namespace mesh has istio.io/dataplane-mode=ambient"}}},
      {"discovery off: no scan", {mesh_pod("mesh/old")}, {}, {}, false, {}},
      {"other node's pod: no scan", {elsewhere}, {}, {}, true, {}},
      {"no IP yet: nothing to scan for", {no_ip}, {}, {}, true, {}},
      {"sandbox whose netns is gone: scan",
       {mesh_pod("mesh/a")},
       {{"mesh/a", {false, true, ""}}},
       {},
       true,
       {{K::kScan, "mesh/a", "namespace mesh has istio.io/dataplane-mode=ambient"}}},
      {"plain pod is left alone",
       {plain_pod("plain/p")},
       {{"plain/p", {true, true, ""}}},
       {},
       true,
       {}},
      {"order: unenroll, forget, enroll, scan",
       {mesh_pod("mesh/b"), mesh_pod("mesh/c"), plain_pod("mesh/d")},
       {{"mesh/b", {true, true, ""}},
        {"mesh/d", {true, true, ""}},
        {"mesh/gone", {true, true, ""}}},
       {"mesh/d"},
       true,
       {{K::kUnenroll, "mesh/d", "left the mesh: namespace plain is not in ambient mode"},
        {K::kForget, "mesh/gone", "pod deleted"},
        {K::kEnroll, "mesh/b", "namespace mesh has istio.io/dataplane-mode=ambient"},
        {K::kScan, "mesh/c", "namespace mesh has istio.io/dataplane-mode=ambient"}}},
  };
  for (const auto& c : cases) {
    auto got = plan_node(c.pods, c.sandboxes, c.enrolled, c.discover);
    ASSERT_EQ(got.size(), c.want.size()) << c.name;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].kind, c.want[i].kind) << c.name << " #" << i;
      EXPECT_EQ(got[i].uid, c.want[i].uid) << c.name << " #" << i;
      EXPECT_EQ(got[i].why, c.want[i].why) << c.name << " #" << i;
    }
  }
}

TEST(NodePlan, StatusReasons) {
  SandboxFacts known{true, true, ""}, failed{true, true, "pod mesh/a has no IPv4 pod IP yet"};
  PodFacts no_ip = mesh_pod("mesh/a");
  no_ip.has_ipv4 = false;
  struct Case {
    PodFacts pod;
    const SandboxFacts* sandbox;
    bool enrolled, discover;
    std::string want;
  };
  const Case cases[] = {
      {mesh_pod("mesh/a"), &known, true, true,
       "namespace mesh has istio.io/dataplane-mode=ambient"},
      {plain_pod("plain/p"), nullptr, false, true, "namespace plain is not in ambient mode"},
      {mesh_pod("mesh/a"), &failed, false, true,
       "enrollment failed: pod mesh/a has no IPv4 pod IP yet"},
      {mesh_pod("mesh/a"), nullptr, false, false,
       "waiting for a CNI ADD or zmeshctl enroll (pod discovery is off)"},
      {no_ip, nullptr, false, true, "waiting for a CNI ADD or its pod IP"},
      {mesh_pod("mesh/a"), nullptr, false, true,
       "waiting for a CNI ADD (no network namespace with its IP found)"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(pod_status_reason(c.pod, c.sandbox, c.enrolled, c.discover), c.want) << c.want;
}

}  // namespace
}  // namespace zmesh::enroll
