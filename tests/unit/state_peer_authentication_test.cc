// PeerAuthentication precedence (Istio's ComposePeerAuthentication), one row per rule, and
// the policies in the config dump.
#include <gtest/gtest.h>

#include <optional>

#include "state/snapshot.h"

namespace zmesh::state {
namespace {

constexpr auto kUnset = MtlsMode::kUnset;
constexpr auto kDisable = MtlsMode::kDisable;
constexpr auto kPermissive = MtlsMode::kPermissive;
constexpr auto kStrict = MtlsMode::kStrict;

struct Policy {
  std::string ns;
  std::string name;
  MtlsMode mode = kUnset;
  std::optional<Labels> selector = std::nullopt;
  std::map<uint32_t, MtlsMode> ports = {};
  std::optional<int64_t> created = std::nullopt;  // seconds since the epoch
};

PeerAuthentication make(const Policy& p) {
  PeerAuthentication pa;
  pa.meta.namespace_ = p.ns;
  pa.meta.name = p.name;
  if (p.created) pa.meta.creation_timestamp = Timestamp{std::chrono::seconds{*p.created}};
  pa.selector = p.selector;
  pa.mode = p.mode;
  pa.port_level = p.ports;
  return pa;
}

struct Case {
  const char* name;
  std::vector<Policy> policies;
  std::string ns;  // the workload's
  Labels labels;
  uint16_t port;
  MtlsMode expected;
};

const Labels kWeb = {{"app", "web"}, {"version", "v1"}};
const Labels kSelectWeb = {{"app", "web"}};
const Labels kSelectDb = {{"app", "db"}};

std::vector<Case> cases() {
  const std::string root = "istio-system";
  return {
      {"NoPolicyIsPermissive", {}, "shop", kWeb, 80, kPermissive},
      {"MeshStrict", {{root, "default", kStrict}}, "shop", kWeb, 80, kStrict},
      {"MeshAppliesInTheRootNamespaceToo", {{root, "default", kStrict}}, root, kWeb, 80, kStrict},
      {"MeshUnsetIsPermissive", {{root, "default", kUnset}}, "shop", kWeb, 80, kPermissive},
      {"MeshDisable", {{root, "default", kDisable}}, "shop", kWeb, 80, kDisable},
      {"NamespaceOverridesMesh",
       {{root, "default", kStrict}, {"shop", "default", kPermissive}},
       "shop",
       kWeb,
       80,
       kPermissive},
      {"NamespaceDisable", {{"shop", "default", kDisable}}, "shop", kWeb, 80, kDisable},
      {"NamespaceUnsetInheritsMesh",
       {{root, "default", kStrict}, {"shop", "default", kUnset}},
       "shop",
       kWeb,
       80,
       kStrict},
      {"OtherNamespacePolicyDoesNotApply",
       {{"other", "default", kStrict}},
       "shop",
       kWeb,
       80,
       kPermissive},
      {"EmptySelectorIsANamespacePolicy",
       {{"shop", "default", kStrict, Labels{}}},
       "shop",
       kWeb,
       80,
       kStrict},
      {"EmptySelectorInRootIsTheMeshPolicy",
       {{root, "default", kStrict, Labels{}}},
       "shop",
       kWeb,
       80,
       kStrict},
      {"WorkloadOverridesNamespace",
       {{"shop", "default", kStrict}, {"shop", "web", kDisable, kSelectWeb}},
       "shop",
       kWeb,
       80,
       kDisable},
      {"WorkloadUnsetInheritsNamespace",
       {{"shop", "default", kStrict}, {"shop", "web", kUnset, kSelectWeb}},
       "shop",
       kWeb,
       80,
       kStrict},
      {"WorkloadUnsetInheritsMeshThroughUnsetNamespace",
       {{root, "default", kStrict},
        {"shop", "default", kUnset},
        {"shop", "web", kUnset, kSelectWeb}},
       "shop",
       kWeb,
       80,
       kStrict},
      {"WorkloadUnsetWithoutParentsIsPermissive",
       {{"shop", "web", kUnset, kSelectWeb}},
       "shop",
       kWeb,
       80,
       kPermissive},
      {"WorkloadInheritsMeshWithoutNamespacePolicy",
       {{root, "default", kStrict}, {"shop", "web", kUnset, kSelectWeb}},
       "shop",
       kWeb,
       80,
       kStrict},
      {"SelectorNotMatchingIsIgnored",
       {{"shop", "default", kPermissive}, {"shop", "db", kStrict, kSelectDb}},
       "shop",
       kWeb,
       80,
       kPermissive},
      {"SelectorNeedsEveryLabel",
       {{"shop", "web-v2", kStrict, Labels{{"app", "web"}, {"version", "v2"}}}},
       "shop",
       kWeb,
       80,
       kPermissive},
      {"SelectorInOtherNamespaceIsIgnored",
       {{"other", "web", kStrict, kSelectWeb}},
       "shop",
       kWeb,
       80,
       kPermissive},
      {"OldestWinsAtNamespaceLevel",
       {{"shop", "a-newer", kDisable, std::nullopt, {}, 200},
        {"shop", "b-older", kStrict, std::nullopt, {}, 100}},
       "shop",
       kWeb,
       80,
       kStrict},
      {"OldestWinsAtMeshLevel",
       {{root, "a-newer", kDisable, std::nullopt, {}, 200},
        {root, "b-older", kStrict, std::nullopt, {}, 100}},
       "shop",
       kWeb,
       80,
       kStrict},
      {"OldestWinsAtWorkloadLevel",
       {{"shop", "a-newer", kDisable, kSelectWeb, {}, 200},
        {"shop", "b-older", kStrict, kSelectWeb, {}, 100}},
       "shop",
       kWeb,
       80,
       kStrict},
      {"SameTimestampSmallerNameWins",
       {{"shop", "b", kStrict, std::nullopt, {}, 100},
        {"shop", "a", kDisable, std::nullopt, {}, 100}},
       "shop",
       kWeb,
       80,
       kDisable},
      {"NoTimestampCountsAsOldest",
       {{"shop", "a", kStrict, std::nullopt, {}, 100}, {"shop", "z", kDisable}},
       "shop",
       kWeb,
       80,
       kDisable},
      // The oldest is chosen first; its UNSET then inherits from the level above rather
      // than falling back to a newer policy of the same level.
      {"OldestUnsetWinsThenInherits",
       {{root, "default", kDisable},
        {"shop", "older", kUnset, std::nullopt, {}, 100},
        {"shop", "newer", kStrict, std::nullopt, {}, 200}},
       "shop",
       kWeb,
       80,
       kDisable},
      {"RootSelectorPolicyIgnoredInOtherNamespaces",
       {{root, "web", kStrict, kSelectWeb}},
       "shop",
       kWeb,
       80,
       kPermissive},
      // Istio ignores selector policies in the root namespace for every workload
      // (ComposePeerAuthentication: "not in root namespace"), root namespace included.
      {"RootSelectorPolicyIgnoredInTheRootNamespace",
       {{root, "web", kStrict, kSelectWeb}, {root, "default", kPermissive}},
       root,
       kWeb,
       80,
       kPermissive},
      {"PortLevelOverride",
       {{"shop", "web", kStrict, kSelectWeb, {{8080, kDisable}}}},
       "shop",
       kWeb,
       8080,
       kDisable},
      {"PortNotListedUsesWorkloadMode",
       {{"shop", "web", kStrict, kSelectWeb, {{8080, kDisable}}}},
       "shop",
       kWeb,
       9090,
       kStrict},
      {"PortLevelStrictOverPermissiveNamespace",
       {{"shop", "default", kPermissive}, {"shop", "web", kUnset, kSelectWeb, {{8080, kStrict}}}},
       "shop",
       kWeb,
       8080,
       kStrict},
      {"PortNotListedInheritsThroughUnsetWorkload",
       {{"shop", "default", kPermissive}, {"shop", "web", kUnset, kSelectWeb, {{8080, kStrict}}}},
       "shop",
       kWeb,
       9090,
       kPermissive},
      {"PortLevelUnsetInheritsWorkloadMode",
       {{"shop", "web", kDisable, kSelectWeb, {{8080, kUnset}}}},
       "shop",
       kWeb,
       8080,
       kDisable},
      {"PortLevelUnsetInheritsThroughUnsetWorkload",
       {{root, "default", kStrict}, {"shop", "web", kUnset, kSelectWeb, {{8080, kUnset}}}},
       "shop",
       kWeb,
       8080,
       kStrict},
      {"OnlyTheWinningWorkloadPolicysPortsApply",
       {{"shop", "older", kStrict, kSelectWeb, {}, 100},
        {"shop", "newer", kStrict, kSelectWeb, {{8080, kDisable}}, 200}},
       "shop",
       kWeb,
       8080,
       kStrict},
      {"PortsOfANonMatchingPolicyDoNotApply",
       {{"shop", "default", kStrict}, {"shop", "db", kStrict, kSelectDb, {{8080, kDisable}}}},
       "shop",
       kWeb,
       8080,
       kStrict},
  };
}

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class Precedence : public testing::TestWithParam<Case> {};

TEST_P(Precedence, EffectiveMode) {
  const Case& c = GetParam();
  std::vector<PeerAuthentication> policies;
  for (const auto& p : c.policies) policies.push_back(make(p));
  auto snap = Snapshot::build({}, {}, {}, policies);
  Workload w;
  w.namespace_ = c.ns;
  w.labels = c.labels;
  EXPECT_EQ(to_string(snap->mtls_mode(w, c.port)), std::string(to_string(c.expected)));
}

INSTANTIATE_TEST_SUITE_P(Table, Precedence, testing::ValuesIn(cases()),
                         [](const auto& info) { return std::string(info.param.name); });

Workload workload(const std::string& ns, Labels labels = kWeb) {
  Workload w;
  w.namespace_ = ns;
  w.labels = std::move(labels);
  return w;
}

TEST(PeerAuthentication, EmptySnapshotIsPermissive) {
  Snapshot empty;
  EXPECT_EQ(empty.mtls_mode(workload("shop"), 80), kPermissive);
}

TEST(PeerAuthentication, RootNamespaceIsConfigurable) {
  std::vector<PeerAuthentication> policies = {make({"mesh-root", "default", kStrict}),
                                              make({"istio-system", "default", kDisable})};
  auto snap = Snapshot::build({}, {}, {}, policies, BuildOptions{"mesh-root"});
  EXPECT_EQ(snap->mtls_mode(workload("shop"), 80), kStrict);
  // istio-system is an ordinary namespace now: its policy is namespace-wide.
  EXPECT_EQ(snap->mtls_mode(workload("istio-system"), 80), kDisable);
  EXPECT_EQ(snap->root_namespace(), "mesh-root");
}

TEST(PeerAuthentication, ModeNames) {
  EXPECT_STREQ(to_string(kUnset), "UNSET");
  EXPECT_STREQ(to_string(kDisable), "DISABLE");
  EXPECT_STREQ(to_string(kPermissive), "PERMISSIVE");
  EXPECT_STREQ(to_string(kStrict), "STRICT");
  EXPECT_EQ(parse_mtls_mode("STRICT"), kStrict);
  EXPECT_EQ(parse_mtls_mode("strict"), std::nullopt);
  EXPECT_EQ(parse_mtls_mode(""), std::nullopt);
}

TEST(PeerAuthentication, ConfigDump) {
  std::vector<PeerAuthentication> policies = {
      make({"shop", "web", kStrict, kSelectWeb, {{8080, kDisable}, {9090, kUnset}}, 1714564800}),
      make({"istio-system", "default", kUnset})};
  auto json = Snapshot::build({}, {}, {}, policies)->to_json();
  ASSERT_EQ(json["peerAuthentications"].size(), 2u);  // sorted by namespace/name
  EXPECT_EQ(json["peerAuthentications"][1], nlohmann::json::parse(R"({
    "name": "web", "namespace": "shop", "selector": {"app": "web"}, "mode": "STRICT",
    "portLevel": {"8080": "DISABLE", "9090": "UNSET"},
    "creationTimestamp": "2024-05-01T12:00:00Z"})"));
  EXPECT_EQ(json["peerAuthentications"][0], nlohmann::json::parse(R"({
    "name": "default", "namespace": "istio-system", "selector": null, "mode": "UNSET",
    "portLevel": {}, "creationTimestamp": null})"));
  EXPECT_EQ(json["rootNamespace"], "istio-system");
}

}  // namespace
}  // namespace zmesh::state
