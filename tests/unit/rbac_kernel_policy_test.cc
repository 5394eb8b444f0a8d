// The identity-free policy compiled for the kernel (rbac::compile_kernel_policies), as a
// table over Istio's semantics: DENY and ALLOW rules of ipBlocks/notIpBlocks, ports/notPorts
// and `when` on source.ip/destination.port; what must stay with the daemon (identities, HTTP
// attributes, other `when` keys, dry-run, AUDIT); PeerAuthentication STRICT per port. Every
// row is also run against a grid of connections through both evaluators, the kernel's
// (kernel_decide, as bpf/lib/policy.h) and the daemon's (recheck_denial: STRICT, then the
// AuthorizationPolicy): the kernel never refuses what the daemon admits, and where a row is
// fully compiled (`exact`) they agree everywhere.
#include <gtest/gtest.h>

#include <variant>

#include "config/yaml_parser.h"
#include "rbac/inbound_decision.h"
#include "rbac/kernel_policy.h"

namespace zmesh::rbac {
namespace {

using Kind = KernelVerdict::Kind;

const char* kCluster = R"yaml(
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: n1, serviceAccountName: web}
status: {phase: Running, podIP: 10.0.0.9, podIPs: [{ip: 10.0.0.9}, {ip: "fd00::9"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {nodeName: n2}
status: {phase: Running, podIP: 10.0.0.10}
)yaml";

std::shared_ptr<const state::Snapshot> snapshot_with(const std::string& policies) {
  auto parsed = config::parse_yaml(std::string(kCluster) + "---\n" + policies, "t.yaml", "t.yaml");
  EXPECT_TRUE(parsed.ok());
  state::ConfigSet set;
  for (auto& decoded : parsed.value()) {
    EXPECT_TRUE(decoded.object) << decoded.error;
    if (decoded.object) std::visit([&](auto& o) { set.add(std::move(o)); }, *decoded.object);
  }
  return state::Snapshot::build(std::move(set));
}

std::string authz(const std::string& name, const std::string& spec,
                  const std::string& annotations = "") {
  return "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: " + name +
         ", namespace: shop" + annotations + "}\nspec:\n" + spec + "---\n";
}

std::string strict(const std::string& spec) {
  return "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: pa, "
         "namespace: shop}\nspec:\n" +
         spec + "---\n";
}

struct Probe {
  const char* src;
  uint16_t port;
  Kind kind;
  const char* policy = "";  // the DENY policy named for kDeny
};

struct Row {
  const char* name;
  std::string config;
  bool compiled;    // the pod has kernel entries at all
  bool allow_list;  // ... and an allow list
  bool exact;       // kernel and daemon agree on every connection of the grid
  std::vector<Probe> probes;
};

const char* kSources[] = {"10.0.0.1",  "10.1.2.3", "10.1.9.9",    "192.168.5.5", "172.16.0.1",
                          "fd00::1:2", "fd01::5",  "2001:db8::1", "10.0.0.10",   "::ffff:10.1.2.3"};
const uint16_t kPorts[] = {1, 80, 443, 5432, 8080, 9090, 65535};

std::optional<KernelPodPolicy> compiled_for(const state::Snapshot& s, const std::string& ip) {
  for (auto& p : compile_kernel_policies(s, kernel_policy_pods(s, "n1")))
    if (p.ip == boost::asio::ip::make_address(ip)) return p;
  return std::nullopt;
}

class KernelPolicyTable : public ::testing::TestWithParam<Row> {};

TEST_P(KernelPolicyTable, CompilesAndAgreesWithTheDaemon) {
  const Row& row = GetParam();
  auto snapshot = snapshot_with(row.config);
  auto workload = snapshot->workload_by_uid("shop/web");
  ASSERT_TRUE(workload);
  auto v4 = compiled_for(*snapshot, "10.0.0.9");
  auto v6 = compiled_for(*snapshot, "fd00::9");
  ASSERT_EQ(v4.has_value(), row.compiled);
  ASSERT_EQ(v6.has_value(), row.compiled);
  if (!row.compiled) return;
  EXPECT_EQ(v4->allow_list, row.allow_list);
  EXPECT_EQ(v4->pod, "shop/web");

  for (const auto& probe : row.probes) {
    auto src = boost::asio::ip::make_address(probe.src);
    auto verdict = kernel_decide(*v4, src, probe.port, false);
    EXPECT_EQ(verdict.kind, probe.kind) << probe.src << " -> :" << probe.port;
    if (probe.kind == Kind::kDeny) {
      EXPECT_EQ(verdict.policy, probe.policy);
    }
  }

  // One grid, two evaluators.
  for (const char* src_text : kSources) {
    auto src = boost::asio::ip::make_address(src_text);
    for (const auto* compiled : {&*v4, &*v6}) {
      bool hbone_refused = kernel_decide(*compiled, src, 0, true).kind != Kind::kPass;
      bool daemon_refuses_every_port = true;
      for (uint16_t port : kPorts) {
        boost::asio::ip::tcp::endpoint from(src, 40000), to(compiled->ip, port);
        auto plain = recheck_denial(*snapshot, *workload, connection_view(from, to, nullptr));
        bool kernel = kernel_decide(*compiled, src, port, false).kind != Kind::kPass;
        EXPECT_TRUE(!kernel || plain.has_value())
            << "kernel refuses what the daemon admits: " << src_text << " -> "
            << compiled->ip.to_string() << ":" << port;
        if (row.exact) {
          EXPECT_EQ(kernel, plain.has_value())
              << src_text << " -> " << compiled->ip.to_string() << ":" << port;
        }
        identity::SpiffeId peer{"cluster.local", "shop", "web"};
        daemon_refuses_every_port =
            daemon_refuses_every_port &&
            recheck_denial(*snapshot, *workload, connection_view(from, to, &peer)).has_value();
      }
      EXPECT_TRUE(!hbone_refused || daemon_refuses_every_port)
          << "HBONE refused though some port is admitted: " << src_text;
    }
  }
}

const std::string kDenyTen = authz("deny-ten", R"(  action: DENY
  rules: [{from: [{source: {ipBlocks: ["10.1.0.0/16"]}}]}]
)");

INSTANTIATE_TEST_SUITE_P(
    Istio, KernelPolicyTable,
    ::testing::Values(
        Row{"NoPolicy", "", false, false, true, {}},
        Row{"DenyIpBlock",
            kDenyTen,
            true,
            false,
            true,
            {{"10.1.2.3", 80, Kind::kDeny, "shop/deny-ten"},
             {"10.1.2.3", 65535, Kind::kDeny, "shop/deny-ten"},
             {"::ffff:10.1.2.3", 80, Kind::kDeny, "shop/deny-ten"},
             {"10.0.0.1", 80, Kind::kPass},
             {"fd00::1:2", 80, Kind::kPass}}},
        Row{"DenyHostBitsAreMasked",
            authz("deny",
                  "  action: DENY\n  rules: [{from: [{source: {ipBlocks: "
                  "[\"10.1.2.3/16\"]}}]}]\n"),
            true,
            false,
            true,
            {{"10.1.9.9", 80, Kind::kDeny, "shop/deny"}, {"10.0.0.1", 80, Kind::kPass}}},
        Row{"DenyIpBlockOnPorts",
            authz("deny", R"(  action: DENY
  rules:
  - from: [{source: {ipBlocks: ["10.1.0.0/16"]}}]
    to: [{operation: {ports: ["80", "443"]}}]
)"),
            true,
            false,
            true,
            {{"10.1.2.3", 80, Kind::kDeny, "shop/deny"},
             {"10.1.2.3", 443, Kind::kDeny, "shop/deny"},
             {"10.1.2.3", 8080, Kind::kPass}}},
        Row{"DenyNotIpBlocksCoversTheOtherFamily",
            authz("outsiders", R"(  action: DENY
  rules: [{from: [{source: {notIpBlocks: ["10.0.0.0/8"]}}]}]
)"),
            true,
            false,
            true,
            {{"192.168.5.5", 80, Kind::kDeny, "shop/outsiders"},
             {"fd00::1:2", 80, Kind::kDeny, "shop/outsiders"},
             {"10.1.2.3", 80, Kind::kPass}}},
        Row{"DenyIpBlocksMinusNotIpBlocks",
            authz("d", R"(  action: DENY
  rules: [{from: [{source: {ipBlocks: ["10.0.0.0/8"], notIpBlocks: ["10.1.0.0/16"]}}]}]
)"),
            true,
            false,
            true,
            {{"10.0.0.1", 80, Kind::kDeny, "shop/d"},
             {"10.1.2.3", 80, Kind::kPass},
             {"192.168.5.5", 80, Kind::kPass}}},
        Row{"DenyNotPorts",
            authz("d", R"(  action: DENY
  rules:
  - from: [{source: {ipBlocks: ["192.168.0.0/16"]}}]
    to: [{operation: {notPorts: ["80"]}}]
)"),
            true,
            false,
            true,
            {{"192.168.5.5", 80, Kind::kPass},
             {"192.168.5.5", 443, Kind::kDeny, "shop/d"},
             {"192.168.5.5", 1, Kind::kDeny, "shop/d"}}},
        Row{"DenyEverything",
            authz("all", "  action: DENY\n  rules: [{}]\n"),
            true,
            false,
            true,
            {{"10.0.0.1", 80, Kind::kDeny, "shop/all"}, {"fd01::5", 1, Kind::kDeny, "shop/all"}}},
        Row{"DenyWhenSourceIpAndDestinationPort",
            authz("w", R"(  action: DENY
  rules:
  - when:
    - {key: source.ip, values: ["172.16.0.0/12"], notValues: ["172.16.9.0/24"]}
    - {key: destination.port, values: ["5432"]}
)"),
            true,
            false,
            true,
            {{"172.16.0.1", 5432, Kind::kDeny, "shop/w"},
             {"172.16.9.1", 5432, Kind::kPass},
             {"172.16.0.1", 80, Kind::kPass},
             {"10.0.0.1", 5432, Kind::kPass}}},
        Row{"DenyWithPrincipalsIsLeftToTheDaemon",
            authz("who", R"(  action: DENY
  rules: [{from: [{source: {principals: ["*"], ipBlocks: ["10.1.0.0/16"]}}]}]
)"),
            false,
            false,
            false,
            {}},
        Row{"DenyOnlyTheIdentityFreeRuleIsCompiled",
            authz("mixed", R"(  action: DENY
  rules:
  - from: [{source: {namespaces: ["bank"]}}]
  - from: [{source: {ipBlocks: ["192.168.0.0/16"]}}]
)"),
            true,
            false,
            false,
            {{"192.168.5.5", 80, Kind::kDeny, "shop/mixed"}, {"10.1.2.3", 80, Kind::kPass}}},
        Row{"DenyWithHttpFieldsIsLeftToTheDaemon",
            authz("get", R"(  action: DENY
  rules:
  - from: [{source: {ipBlocks: ["10.1.0.0/16"]}}]
    to: [{operation: {methods: ["GET"], ports: ["80"]}}]
)"),
            false,
            false,
            false,
            {}},
        Row{"DenyOtherWhenKeyIsLeftToTheDaemon",
            authz("ns", R"(  action: DENY
  rules: [{when: [{key: source.namespace, values: ["bank"]}]}]
)"),
            false,
            false,
            true,
            {}},
        Row{"AllowList",
            authz("inside", R"(  rules:
  - from: [{source: {ipBlocks: ["10.0.0.0/8"]}}]
    to: [{operation: {ports: ["8080"]}}]
)"),
            true,
            true,
            true,
            {{"10.0.0.1", 8080, Kind::kPass},
             {"10.0.0.1", 80, Kind::kAllowMiss},
             {"192.168.5.5", 8080, Kind::kAllowMiss},
             {"fd00::1:2", 8080, Kind::kAllowMiss}}},
        Row{"AllowPoliciesOr",
            authz("a", "  rules: [{from: [{source: {ipBlocks: [\"10.0.0.0/8\"]}}]}]\n") +
                authz("b", "  rules: [{from: [{source: {ipBlocks: [\"fd00::/16\"]}}]}]\n"),
            true,
            true,
            true,
            {{"10.1.2.3", 80, Kind::kPass},
             {"fd00::1:2", 80, Kind::kPass},
             {"fd01::5", 80, Kind::kAllowMiss},
             {"192.168.5.5", 80, Kind::kAllowMiss}}},
        Row{"AllowWithAnIdentityRuleLeavesTheAllowListToTheDaemon",
            authz("a", R"(  rules:
  - from: [{source: {ipBlocks: ["10.0.0.0/8"]}}]
  - from: [{source: {principals: ["cluster.local/ns/shop/sa/web"]}}]
)"),
            false,
            false,
            false,
            {}},
        Row{"AllowWithHttpRuleLeavesTheAllowListToTheDaemon",
            authz("a", R"(  rules:
  - from: [{source: {ipBlocks: ["10.0.0.0/8"]}}]
  - to: [{operation: {methods: ["GET"]}}]
)"),
            false,
            false,
            false,
            {}},
        Row{"AllowNothing",
            authz("nothing", "  {}\n"),
            true,
            true,
            true,
            {{"10.0.0.1", 80, Kind::kAllowMiss}, {"fd00::1:2", 80, Kind::kAllowMiss}}},
        Row{"AllowEverything",
            authz("all", "  rules: [{}]\n"),
            true,
            true,
            true,
            {{"10.0.0.1", 80, Kind::kPass}, {"fd01::5", 1, Kind::kPass}}},
        Row{"DenyBeatsAllowAndPrefixesNest",
            authz("allow-ten", "  rules: [{from: [{source: {ipBlocks: [\"10.0.0.0/8\"]}}]}]\n") +
                kDenyTen,
            true,
            true,
            true,
            {{"10.0.0.1", 80, Kind::kPass},
             {"10.1.2.3", 80, Kind::kDeny, "shop/deny-ten"},
             {"192.168.5.5", 80, Kind::kAllowMiss}}},
        Row{"AnHttpPolicyPutsTheWorkloadOnTheRequestPath",
            authz("deny-all", "  action: DENY\n  rules: [{}]\n") +
                authz("audit-patch",
                      "  action: AUDIT\n  rules: [{to: [{operation: {methods: [PATCH]}}]}]\n"),
            false,
            false,
            false,
            {}},
        Row{"ARequestAuthenticationPutsTheWorkloadOnTheRequestPath",
            authz("deny-all", "  action: DENY\n  rules: [{}]\n") +
                "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: "
                "jwt, namespace: shop}\nspec:\n  jwtRules: [{issuer: a, jwksUri: "
                "\"http://keys\"}]\n---\n",
            false,
            false,
            false,
            {}},
        Row{"DryRunIsNeverCompiled",
            authz("dry", "  action: DENY\n  rules: [{}]\n",
                  ", annotations: {istio.io/dry-run: \"true\"}"),
            false,
            false,
            true,
            {}},
        Row{"AuditIsNotCompiled",
            authz("audit", "  action: AUDIT\n  rules: [{}]\n"),
            false,
            false,
            true,
            {}},
        Row{"SelectorOfAnotherWorkload",
            authz("db-only",
                  "  selector: {matchLabels: {app: db}}\n  action: DENY\n  rules: [{}]\n"),
            false,
            false,
            true,
            {}},
        Row{"StrictNamespaceWithPermissivePort",
            strict("  mtls: {mode: STRICT}\n") +
                authz("w", "  selector: {matchLabels: {app: web}}\n  rules: [{}]\n"),
            true,
            true,
            true,
            {{"10.0.0.1", 80, Kind::kStrict}, {"fd01::5", 65535, Kind::kStrict}}},
        Row{"StrictPortLevel",
            strict("  selector: {matchLabels: {app: web}}\n  mtls: {mode: PERMISSIVE}\n"
                   "  portLevelMtls: {5432: {mode: STRICT}}\n"),
            true,
            false,
            true,
            {{"10.0.0.1", 5432, Kind::kStrict}, {"10.0.0.1", 80, Kind::kPass}}},
        Row{"StrictWithPermissivePortLevel",
            strict("  selector: {matchLabels: {app: web}}\n  mtls: {mode: STRICT}\n"
                   "  portLevelMtls: {8080: {mode: PERMISSIVE}}\n"),
            true,
            false,
            true,
            {{"10.0.0.1", 80, Kind::kStrict}, {"10.0.0.1", 8080, Kind::kPass}}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(KernelPolicy, EntriesAreInTheKernelShape) {
  auto snapshot = snapshot_with(kDenyTen + authz("inside", R"(  rules:
  - from: [{source: {ipBlocks: ["10.0.0.0/8"], notIpBlocks: ["10.1.2.0/24"]}}]
    to: [{operation: {ports: ["8080"]}}]
)"));
  auto p = compiled_for(*snapshot, "10.0.0.9");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->deny_policies, std::vector<std::string>{"shop/deny-ten"});
  EXPECT_EQ(p->allow_policies, std::vector<std::string>{"shop/inside"});
  EXPECT_EQ(p->deny_any_port, 1u);
  EXPECT_EQ(p->allow_some_port, 1u);
  // Both roots, and each block once, host bits cleared; the nested prefixes carry every
  // slot of the prefixes containing them.
  std::vector<KernelSource> want = {
      {*state::IpBlock::parse("0.0.0.0/0"), 0, 0},   {*state::IpBlock::parse("10.0.0.0/8"), 0, 1},
      {*state::IpBlock::parse("10.1.0.0/16"), 1, 1}, {*state::IpBlock::parse("10.1.2.0/24"), 1, 0},
      {*state::IpBlock::parse("::/0"), 0, 0},
  };
  EXPECT_EQ(p->sources, want);
  std::vector<KernelPort> ports = {{0, 1, 0, false}, {8080, 1, 1, false}};
  EXPECT_EQ(p->ports, ports);
}

TEST(KernelPolicy, PodsOfTheNodeInTheMeshOnly) {
  auto snapshot = snapshot_with("");
  auto pods = kernel_policy_pods(*snapshot, "n1");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].uid, "shop/web");
  EXPECT_EQ(pods[0].ips.size(), 2u);
  // A pod IP the snapshot gives to another workload is not compiled for this one.
  auto all = compile_kernel_policies(*snapshot_with(kDenyTen),
                                     {{"shop/web", {boost::asio::ip::make_address("10.0.0.10")}},
                                      {"shop/gone", {boost::asio::ip::make_address("10.0.0.11")}}});
  EXPECT_TRUE(all.empty());
}

TEST(KernelPolicy, MoreDenyRulesThanSlotsKeepsTheFirst) {
  std::string rules;
  for (int i = 0; i < 70; ++i)
    rules += "  - from: [{source: {ipBlocks: [\"10.2." + std::to_string(i) + ".0/24\"]}}]\n";
  auto snapshot = snapshot_with(authz("many", "  action: DENY\n  rules:\n" + rules));
  auto p = compiled_for(*snapshot, "10.0.0.9");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->deny_policies.size(), kKernelRuleSlots);
  EXPECT_EQ(kernel_decide(*p, boost::asio::ip::make_address("10.2.3.4"), 80, false).kind,
            Kind::kDeny);
  EXPECT_EQ(kernel_decide(*p, boost::asio::ip::make_address("10.2.69.4"), 80, false).kind,
            Kind::kPass)
      << "rules past the slots stay with the daemon";
}

}  // namespace
}  // namespace zmesh::rbac
