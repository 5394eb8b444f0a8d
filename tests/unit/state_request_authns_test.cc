// RequestAuthentication targeting compiled for the data path: which jwtRules apply to a
// workload, in Istio's order, and the jwksUris the fetcher keeps fresh.
#include <gtest/gtest.h>

#include <optional>

#include "state/request_authns.h"
#include "state/snapshot.h"

namespace zmesh::state {
namespace {

const std::string kRoot = "istio-system";

struct Authn {
  std::string ns;
  std::string name;
  std::optional<Labels> selector = std::nullopt;
  std::optional<int64_t> created = std::nullopt;  // seconds since the epoch
  bool target_refs = false;                       // targets a waypoint instead
  int rules = 1;                                  // issuers "<name>#0", "<name>#1", ...
};

RequestAuthentication make(const Authn& a) {
  RequestAuthentication ra;
  ra.meta.namespace_ = a.ns;
  ra.meta.name = a.name;
  if (a.created) ra.meta.creation_timestamp = Timestamp{std::chrono::seconds{*a.created}};
  ra.selector = a.selector;
  if (a.target_refs) ra.target_refs.push_back({"gateway.networking.k8s.io", "Gateway", "wp", ""});
  for (int i = 0; i < a.rules; ++i) {
    JwtRule rule;
    rule.issuer = a.name + "#" + std::to_string(i);
    rule.jwks_uri = "https://keys.example/" + a.name;
    ra.jwt_rules.push_back(rule);
  }
  return ra;
}

RequestAuthns compile(const std::vector<Authn>& list) {
  std::vector<RequestAuthentication> objects;
  for (const auto& a : list) objects.push_back(make(a));
  return RequestAuthns(objects, kRoot);  // `objects` dies here: the view owns its copies
}

using Issuers = std::vector<std::string>;

Issuers issuers(const std::vector<const JwtRule*>& rules) {
  Issuers out;
  for (const auto* r : rules) out.push_back(r->issuer);
  return out;
}

const Labels kWeb = {{"app", "web"}, {"version", "v1"}};

struct Row {
  const char* name;
  std::vector<Authn> objects;
  std::string ns;
  Labels labels;
  Issuers want;
};

TEST(RequestAuthns, Targeting) {
  const Row rows[] = {
      {"none", {}, "shop", kWeb, {}},
      {"namespace-wide", {{"shop", "a"}}, "shop", kWeb, {"a#0"}},
      {"namespace-wide, other namespace", {{"shop", "a"}}, "bank", kWeb, {}},
      {"empty selector is namespace-wide", {{"shop", "a", Labels{}}}, "shop", kWeb, {"a#0"}},
      {"selector matches", {{"shop", "a", Labels{{"app", "web"}}}}, "shop", kWeb, {"a#0"}},
      {"selector labels are ANDed",
       {{"shop", "a", Labels{{"app", "web"}, {"version", "v2"}}}},
       "shop",
       kWeb,
       {}},
      {"selector does not match", {{"shop", "a", Labels{{"app", "db"}}}}, "shop", kWeb, {}},
      {"root namespace is mesh-wide", {{kRoot, "mesh"}}, "bank", kWeb, {"mesh#0"}},
      {"root selector in every namespace",
       {{kRoot, "mesh", Labels{{"app", "web"}}}},
       "bank",
       kWeb,
       {"mesh#0"}},
      {"root selector not matching", {{kRoot, "mesh", Labels{{"app", "db"}}}}, "bank", kWeb, {}},
      {"targetRefs left out", {{"shop", "wp", std::nullopt, std::nullopt, true}}, "shop", kWeb, {}},
      {"every rule of an object, as written",
       {{"shop", "a", {}, {}, false, 3}},
       "shop",
       kWeb,
       {"a#0", "a#1", "a#2"}},
      {"root first, then the namespace's, each oldest first",
       {{"shop", "young", {}, 300},
        {"shop", "old", {}, 100},
        {kRoot, "mesh-young", {}, 200},
        {kRoot, "mesh-old", {}, 50},
        {"shop", "no-time"}},
       "shop",
       kWeb,
       {"mesh-old#0", "mesh-young#0", "no-time#0", "old#0", "young#0"}},
      {"same time: by name",
       {{"shop", "b", {}, 100}, {"shop", "a", {}, 100}},
       "shop",
       kWeb,
       {"a#0", "b#0"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    auto authns = compile(row.objects);
    EXPECT_EQ(issuers(authns.rules_for(row.ns, row.labels)), row.want);
  }
}

TEST(RequestAuthns, EmptyAndUris) {
  EXPECT_TRUE(RequestAuthns().empty());
  EXPECT_TRUE(RequestAuthns().jwks_uris().empty());
  EXPECT_TRUE(compile({{"shop", "wp", std::nullopt, std::nullopt, true}}).empty());
  auto authns = compile({{"shop", "b"}, {"bank", "a"}, {kRoot, "b"}, {"x", "wp", {}, {}, true}});
  EXPECT_FALSE(authns.empty());
  EXPECT_EQ(authns.jwks_uris(),
            (std::vector<std::string>{"https://keys.example/a", "https://keys.example/b"}));
}

TEST(RequestAuthns, InlineJwksNamesNoUri) {
  auto ra = make({"shop", "a"});
  ra.jwt_rules[0].jwks_uri.clear();
  ra.jwt_rules[0].jwks = R"({"keys":[]})";
  RequestAuthns authns({ra}, kRoot);
  EXPECT_TRUE(authns.jwks_uris().empty());
  ASSERT_EQ(authns.rules_for("shop", {}).size(), 1u);
  EXPECT_EQ(authns.rules_for("shop", {})[0]->jwks, R"({"keys":[]})");
}

TEST(RequestAuthns, SnapshotCompilesAndKeepsThemUntilTheyChange) {
  Pod pod;
  pod.meta.namespace_ = "shop";
  pod.meta.name = "web-0";
  pod.meta.labels = kWeb;
  pod.pod_ips.push_back(boost::asio::ip::make_address("10.0.0.5"));
  auto first = Snapshot().with({{nullptr, std::make_shared<const Object>(pod)}});
  EXPECT_TRUE(first->request_authns().empty());

  auto ra = std::make_shared<const Object>(make({"shop", "a"}));
  auto second = first->with({{nullptr, ra}});
  EXPECT_EQ(issuers(second->request_authns().rules_for("shop", kWeb)), Issuers{"a#0"});
  EXPECT_EQ(second->request_authns().jwks_uris(),
            std::vector<std::string>{"https://keys.example/a"});

  Pod moved = pod;
  moved.pod_ips = {boost::asio::ip::make_address("10.0.0.6")};
  auto third =
      second->with({{std::make_shared<const Object>(pod), std::make_shared<const Object>(moved)}});
  EXPECT_EQ(&third->request_authns(), &second->request_authns());  // shared: no change

  auto fourth = third->with({{ra, nullptr}});
  EXPECT_TRUE(fourth->request_authns().empty());
}

}  // namespace
}  // namespace zmesh::state
