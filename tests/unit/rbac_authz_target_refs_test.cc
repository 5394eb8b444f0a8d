// AuthorizationPolicies attached to a Service by targetRef(s) (Istio attaches them to the
// Service's waypoint; our node proxy plays that part): Snapshot::authz_policies_for adds them
// for the workloads the Service selects, on the ports the Service targets; other targetRef
// kinds, other namespaces' Services and workloads the Service does not select are untouched;
// a policy attached twice counts once. And the kernel never compiles them.
#include <gtest/gtest.h>

#include <variant>

#include "config/yaml_parser.h"
#include "rbac/kernel_policy.h"
#include "rbac/policy_match.h"

namespace zmesh::state {
namespace {

const char* kCluster = R"yaml(
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: n1}
status: {phase: Running, podIP: 10.0.0.9}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {nodeName: n1}
status: {phase: Running, podIP: 10.0.0.10}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  clusterIP: 10.96.0.9
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-admin, namespace: shop}
spec:
  clusterIP: 10.96.0.10
  selector: {app: web}
  ports: [{name: http-admin, port: 9000}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: on-web, namespace: shop}
spec:
  targetRefs: [{kind: Service, group: "", name: web}]
  action: DENY
  rules: [{to: [{operation: {methods: [DELETE]}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: on-both, namespace: shop}
spec:
  targetRefs: [{kind: Service, name: web}, {kind: Service, name: web-admin}]
  action: ALLOW
  rules: [{from: [{source: {ipBlocks: [10.1.0.0/16]}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: on-gateway, namespace: shop}
spec:
  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: web}]
  action: DENY
  rules: [{}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: by-selector, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  action: ALLOW
  rules: [{from: [{source: {ipBlocks: [10.2.0.0/16]}}]}]
)yaml";

std::shared_ptr<const Snapshot> snapshot() {
  auto parsed = config::parse_yaml(kCluster, "t.yaml", "t.yaml");
  EXPECT_TRUE(parsed.ok());
  ConfigSet set;
  for (auto& decoded : parsed.value()) {
    EXPECT_TRUE(decoded.object) << decoded.error;
    if (decoded.object) std::visit([&](auto& o) { set.add(std::move(o)); }, *decoded.object);
  }
  return Snapshot::build(std::move(set));
}

std::vector<std::string> names(const std::vector<const AuthorizationPolicy*>& list) {
  std::vector<std::string> out;
  for (const auto* p : list) out.push_back(p->meta.name);
  return out;
}

TEST(AuthzTargetRefs, ServiceAttachedPoliciesApplyToItsWorkloadsAndPorts) {
  auto s = snapshot();
  auto web = s->workload_by_uid("shop/web");
  auto db = s->workload_by_uid("shop/db");
  ASSERT_TRUE(web && db);
  using V = std::vector<std::string>;
  // the workload's own port 8080 is Service web's: both policies attached to it
  auto at_8080 = s->authz_policies_for(*web, 8080);
  EXPECT_EQ(names(at_8080.deny), V{"on-web"});
  EXPECT_EQ(names(at_8080.allow), (V{"by-selector", "on-both"}));
  // 9000 is web-admin's: on-both once, not on-web
  auto at_9000 = s->authz_policies_for(*web, 9000);
  EXPECT_TRUE(at_9000.deny.empty());
  EXPECT_EQ(names(at_9000.allow), (V{"by-selector", "on-both"}));
  // a port no Service targets: the selector's policy only
  EXPECT_EQ(names(s->authz_policies_for(*web, 7000).allow), V{"by-selector"});
  // without a port: every attached policy, each once
  auto any = s->authz_policies_for(*web);
  EXPECT_EQ(names(any.deny), V{"on-web"});
  EXPECT_EQ(names(any.allow), (V{"by-selector", "on-both"}));
  // the selector-only view is unchanged, and db is selected by neither Service
  EXPECT_EQ(names(s->authz_policies().policies_for("shop", web->labels).allow), V{"by-selector"});
  EXPECT_TRUE(s->authz_policies_for(*db, 8080).empty());
  // the DENY with an HTTP attribute puts web's Service ports on the HTTP path
  EXPECT_TRUE(rbac::policies_need_http(at_8080));
  EXPECT_FALSE(rbac::policies_need_http(at_9000));
}

TEST(AuthzTargetRefs, KernelLeavesServiceAttachedPoliciesToTheDaemon) {
  auto s = snapshot();
  auto pods = rbac::kernel_policy_pods(*s, "n1");
  auto compiled = rbac::compile_kernel_policies(*s, pods);
  for (const auto& p : compiled) {
    EXPECT_FALSE(p.allow_list) << p.pod;  // on-both is an ALLOW the kernel cannot scope
    for (const auto& name : p.allow_policies) EXPECT_NE(name, "shop/on-both");
    for (const auto& name : p.deny_policies) EXPECT_NE(name, "shop/on-web");
  }
}

}  // namespace
}  // namespace zmesh::state
