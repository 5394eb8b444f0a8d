// Workload derivation: owner name, canonical service/revision, ambient, identity.
#include <gtest/gtest.h>

#include "state/workload_builder.h"

namespace zmesh::state {
namespace {

struct NameCase {
  std::string pod_name;
  std::string generate_name;
  Labels labels;
  std::string expected;
};

TEST(WorkloadName, IstioStyleDerivation) {
  const std::vector<NameCase> cases = {
      // Deployment: ReplicaSet "web-7d9f8b6c5" (pod-template-hash) -> "web".
      {"web-7d9f8b6c5-x2x4z", "web-7d9f8b6c5-", {{"pod-template-hash", "7d9f8b6c5"}}, "web"},
      {"web-7d9f8b6c5-x2x4z", "web-7d9f8b6c5-", {}, "web"},  // hash recognised without label
      {"payments-v2-5f8d7c9b4d-abcde", "payments-v2-5f8d7c9b4d-", {}, "payments-v2"},
      // The label names the hash: a suffix that is not it is part of the name.
      {"web-bcdfgh-1", "web-bcdfgh-", {{"pod-template-hash", "zzzzzz"}}, "web-bcdfgh"},
      // StatefulSet / DaemonSet: generateName is the controller name plus "-".
      {"db-0", "db-", {}, "db"},
      {"my-db-0", "my-db-", {}, "my-db"},  // "db" is too short to be a hash
      {"node-exporter-x9x9x", "node-exporter-", {}, "node-exporter"},
      {"api-server-2", "api-server-", {}, "api-server"},
      // CronJob: Job "<cronjob>-<timestamp>".
      {"backup-27812345-q2k7z", "backup-27812345-", {}, "backup"},
      // No generateName: the pod is its own workload.
      {"standalone", "", {}, "standalone"},
      {"web-7d9f8b6c5-x2x4z", "", {}, "web-7d9f8b6c5-x2x4z"},
  };
  for (const auto& c : cases) {
    ObjectMeta meta{c.pod_name, "ns", c.labels, {}, c.generate_name, "", {}};
    EXPECT_EQ(derive_workload_name(meta), c.expected) << c.generate_name << " / " << c.pod_name;
  }
}

Pod make_pod(Labels labels) {
  Pod pod;
  pod.meta.name = "web-7d9f8b6c5-x2x4z";
  pod.meta.namespace_ = "shop";
  pod.meta.generate_name = "web-7d9f8b6c5-";
  pod.meta.labels = std::move(labels);
  pod.service_account = "web-sa";
  return pod;
}

TEST(Workload, CanonicalNamesFollowIstioLabelPrecedence) {
  Workload w = make_workload(make_pod({}), false);
  EXPECT_EQ(w.uid, "shop/web-7d9f8b6c5-x2x4z");
  EXPECT_EQ(w.workload_name, "web");
  EXPECT_EQ(w.canonical_service, "web");  // falls back to the workload name
  EXPECT_EQ(w.canonical_revision, "latest");
  EXPECT_EQ(w.app, "");

  w = make_workload(make_pod({{"app", "shop-web"}, {"version", "v3"}}), false);
  EXPECT_EQ(w.canonical_service, "shop-web");
  EXPECT_EQ(w.canonical_revision, "v3");
  EXPECT_EQ(w.app, "shop-web");
  EXPECT_EQ(w.version, "v3");

  w = make_workload(make_pod({{"app", "a"},
                              {"version", "v"},
                              {"app.kubernetes.io/name", "k8s-name"},
                              {"app.kubernetes.io/version", "k8s-ver"}}),
                    false);
  EXPECT_EQ(w.canonical_service, "k8s-name");
  EXPECT_EQ(w.canonical_revision, "k8s-ver");

  w = make_workload(make_pod({{"app.kubernetes.io/name", "k8s-name"},
                              {"service.istio.io/canonical-name", "istio-name"},
                              {"service.istio.io/canonical-revision", "istio-rev"}}),
                    false);
  EXPECT_EQ(w.canonical_service, "istio-name");
  EXPECT_EQ(w.canonical_revision, "istio-rev");
}

TEST(Workload, AmbientFromNamespaceOrPodLabel) {
  EXPECT_TRUE(make_workload(make_pod({}), true).ambient);
  EXPECT_FALSE(make_workload(make_pod({}), false).ambient);
  EXPECT_TRUE(make_workload(make_pod({{kDataplaneModeLabel, "ambient"}}), false).ambient);
  EXPECT_FALSE(make_workload(make_pod({{kDataplaneModeLabel, "none"}}), true).ambient);
  Pod host = make_pod({});
  host.host_network = true;
  EXPECT_FALSE(make_workload(host, true).ambient);
}

// Istio's enablement selector, and the reason zmeshctl status shows, as a table.
TEST(Workload, MeshMembershipTable) {
  struct Case {
    const char* name;
    Labels labels;
    Labels annotations;
    bool host_network;
    bool namespace_ambient;
    bool member;
    const char* reason;
  };
  const std::string mode = kDataplaneModeLabel;
  const Case cases[] = {
      {"namespace ambient",
       {},
       {},
       false,
       true,
       true,
       "namespace shop has istio.io/dataplane-mode=ambient"},
      {"namespace plain", {}, {}, false, false, false, "namespace shop is not in ambient mode"},
      {"pod opts in",
       {{mode, "ambient"}},
       {},
       false,
       false,
       true,
       "pod label istio.io/dataplane-mode=ambient"},
      {"pod opts out",
       {{mode, "none"}},
       {},
       false,
       true,
       false,
       "pod label istio.io/dataplane-mode=none"},
      {"host network", {{mode, "ambient"}}, {}, true, true, false, "hostNetwork pod"},
      {"sidecar injected",
       {},
       {{"sidecar.istio.io/status", "{}"}},
       false,
       true,
       false,
       "has an Istio sidecar"},
      {"inject label",
       {{"sidecar.istio.io/inject", "true"}},
       {},
       false,
       true,
       false,
       "sidecar injection requested"},
      {"inject annotation",
       {},
       {{"sidecar.istio.io/inject", "true"}},
       false,
       true,
       false,
       "sidecar injection requested"},
      {"inject false",
       {{"sidecar.istio.io/inject", "false"}},
       {},
       false,
       true,
       true,
       "namespace shop has"},
      {"other mode value", {{mode, "sidecar"}}, {}, false, true, true, "namespace shop has"},
  };
  for (const auto& c : cases) {
    Pod pod = make_pod(c.labels);
    pod.meta.namespace_ = "shop";
    pod.meta.annotations = c.annotations;
    pod.host_network = c.host_network;
    auto m = mesh_membership(pod, c.namespace_ambient);
    EXPECT_EQ(m.member, c.member) << c.name;
    EXPECT_EQ(m.reason.rfind(c.reason, 0), 0u) << c.name << ": " << m.reason;
    Workload w = make_workload(pod, c.namespace_ambient);
    EXPECT_EQ(w.ambient, c.member) << c.name;
    EXPECT_EQ(w.mesh_reason, m.reason) << c.name;
  }
}

TEST(Workload, ReadyNeedsReadyConditionAndLivePhase) {
  Pod pod = make_pod({});
  EXPECT_TRUE(make_workload(pod, false).ready);
  pod.ready = false;
  EXPECT_FALSE(make_workload(pod, false).ready);
  pod.ready = true;
  pod.phase = "Succeeded";
  EXPECT_FALSE(make_workload(pod, false).ready);
}

TEST(Workload, IdentityIsSpiffe) {
  Workload w = make_workload(make_pod({}), false);
  EXPECT_EQ(w.identity(), "spiffe://cluster.local/ns/shop/sa/web-sa");
  EXPECT_EQ(w.identity("example.org"), "spiffe://example.org/ns/shop/sa/web-sa");
}

}  // namespace
}  // namespace zmesh::state
