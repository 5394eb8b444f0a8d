// AuthorizationPolicy targeting compiled for the data path: which policies apply to a
// workload, by action, in Istio's order (one row per targeting rule).
#include <gtest/gtest.h>

#include <optional>

#include "state/authz_policies.h"
#include "state/snapshot.h"

namespace zmesh::state {
namespace {

constexpr auto kAllow = AuthzAction::kAllow;
constexpr auto kDeny = AuthzAction::kDeny;
constexpr auto kAudit = AuthzAction::kAudit;
constexpr auto kCustom = AuthzAction::kCustom;
const std::string kRoot = "istio-system";

struct Policy {
  std::string ns;
  std::string name;
  AuthzAction action = kAllow;
  std::optional<Labels> selector = std::nullopt;
  std::optional<int64_t> created = std::nullopt;  // seconds since the epoch
  bool dry_run = false;
  bool target_refs = false;  // targets a waypoint instead of selecting workloads
};

AuthorizationPolicy make(const Policy& p) {
  AuthorizationPolicy ap;
  ap.meta.namespace_ = p.ns;
  ap.meta.name = p.name;
  if (p.created) ap.meta.creation_timestamp = Timestamp{std::chrono::seconds{*p.created}};
  ap.selector = p.selector;
  ap.action = p.action;
  ap.rules.emplace_back();
  ap.dry_run = p.dry_run;
  if (p.target_refs) ap.target_refs.push_back({"gateway.networking.k8s.io", "Gateway", "wp", ""});
  return ap;
}

AuthzPolicies compile(const std::vector<Policy>& policies) {
  std::vector<AuthorizationPolicy> objects;
  for (const auto& p : policies) objects.push_back(make(p));
  return AuthzPolicies(objects, kRoot);  // `objects` dies here: the view owns its copies
}

// "ns/name" of each policy, in order.
std::vector<std::string> names(const std::vector<const AuthorizationPolicy*>& list) {
  std::vector<std::string> out;
  for (const auto* p : list) out.push_back(p->meta.namespace_ + "/" + p->meta.name);
  return out;
}

using Names = std::vector<std::string>;
const Labels kWeb = {{"app", "web"}, {"version", "v1"}};

TEST(AuthzPolicies, NoPolicyAppliesNothing) {
  AuthzPolicies none;
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.policies_for("shop", kWeb).empty());
  EXPECT_TRUE(compile({}).empty());
}

struct Case {
  const char* name;
  std::vector<Policy> policies;
  std::string ns;  // the workload's
  Labels labels;
  Names expected_allow;
};

std::vector<Case> cases() {
  return {
      {"NamespacePolicyAppliesToItsNamespace", {{"shop", "all"}}, "shop", kWeb, {"shop/all"}},
      {"NamespacePolicyNotToOtherNamespaces", {{"shop", "all"}}, "bank", kWeb, {}},
      {"SelectorSubsetMatches",
       {{"shop", "web", kAllow, Labels{{"app", "web"}}}},
       "shop",
       kWeb,
       {"shop/web"}},
      {"SelectorAllLabelsMustMatch",
       {{"shop", "web-v2", kAllow, Labels{{"app", "web"}, {"version", "v2"}}}},
       "shop",
       kWeb,
       {}},
      {"SelectorMissingLabel", {{"shop", "db", kAllow, Labels{{"tier", "db"}}}}, "shop", kWeb, {}},
      {"EmptySelectorSelectsAll",
       {{"shop", "empty", kAllow, Labels{}}},
       "shop",
       kWeb,
       {"shop/empty"}},
      {"SelectorOnlyInItsNamespace",
       {{"shop", "web", kAllow, Labels{{"app", "web"}}}},
       "bank",
       kWeb,
       {}},
      {"RootPolicyIsMeshWide", {{kRoot, "mesh"}}, "bank", kWeb, {kRoot + "/mesh"}},
      {"RootPolicyAppliesInTheRootNamespace", {{kRoot, "mesh"}}, kRoot, kWeb, {kRoot + "/mesh"}},
      {"RootSelectorMatchesInEveryNamespace",
       {{kRoot, "web", kAllow, Labels{{"app", "web"}}}},
       "bank",
       kWeb,
       {kRoot + "/web"}},
      {"RootSelectorStillFilters",
       {{kRoot, "db", kAllow, Labels{{"app", "db"}}}},
       "bank",
       kWeb,
       {}},
      {"TargetRefPoliciesAreForWaypoints",
       {{"shop", "waypoint", kAllow, std::nullopt, std::nullopt, false, true}},
       "shop",
       kWeb,
       {}},
      {"RootFirstThenOldestFirst",
       {{"shop", "b-new", kAllow, std::nullopt, 300},
        {"shop", "a-old", kAllow, std::nullopt, 100},
        {"shop", "untimed"},
        {"shop", "c-same-time", kAllow, std::nullopt, 100},
        {kRoot, "mesh", kAllow, std::nullopt, 500}},
       "shop",
       kWeb,
       {kRoot + "/mesh", "shop/untimed", "shop/a-old", "shop/c-same-time", "shop/b-new"}},
  };
}

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class AuthzTargeting : public testing::TestWithParam<Case> {};

TEST_P(AuthzTargeting, SelectsTheRightPolicies) {
  const Case& c = GetParam();
  auto view = compile(c.policies);
  EXPECT_EQ(names(view.policies_for(c.ns, c.labels).allow), c.expected_allow);
}

INSTANTIATE_TEST_SUITE_P(Table, AuthzTargeting, testing::ValuesIn(cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(AuthzPolicies, GroupedByActionWithDryRunApart) {
  auto view = compile({{"shop", "allow"},
                       {"shop", "deny", kDeny},
                       {"shop", "audit", kAudit},
                       {"shop", "ext", kCustom},
                       {"shop", "shadow-deny", kDeny, std::nullopt, std::nullopt, true},
                       {kRoot, "mesh-deny", kDeny},
                       {"bank", "other", kDeny}});
  EXPECT_FALSE(view.empty());
  auto p = view.policies_for("shop", kWeb);
  EXPECT_EQ(names(p.custom), Names{"shop/ext"});
  EXPECT_EQ(names(p.deny), (Names{kRoot + "/mesh-deny", "shop/deny"}));
  EXPECT_EQ(names(p.allow), Names{"shop/allow"});
  EXPECT_EQ(names(p.audit), Names{"shop/audit"});
  EXPECT_EQ(names(p.dry_run), Names{"shop/shadow-deny"});
  // The policies are the objects as written (rules and all).
  ASSERT_EQ(p.deny.size(), 2u);
  EXPECT_EQ(p.deny[1]->rules.size(), 1u);
  EXPECT_EQ(p.deny[1]->action, kDeny);
}

// The Snapshot compiles the view from its objects, with its root namespace.
TEST(AuthzPolicies, BuiltIntoTheSnapshot) {
  ConfigSet objects;
  objects.authorization_policies = {make({"shop", "deny", kDeny}), make({"mesh-root", "mesh"})};
  BuildOptions options;
  options.root_namespace = "mesh-root";
  auto snapshot = Snapshot::build(std::move(objects), options);
  auto p = snapshot->authz_policies().policies_for("bank", kWeb);
  EXPECT_EQ(names(p.allow), Names{"mesh-root/mesh"});
  EXPECT_TRUE(p.deny.empty());
  EXPECT_EQ(names(snapshot->authz_policies().policies_for("shop", kWeb).deny), Names{"shop/deny"});
  EXPECT_EQ(snapshot->to_json()["authorizationPolicies"].size(), 2u);
}

}  // namespace
}  // namespace zmesh::state
