// Which DestinationRule sets a Service's kernel connection limit, and the VIP:port limits the
// daemon writes: short and FQDN hosts, wildcards, namespace precedence, rules a node-wide
// limit must not apply (workloadSelector, partial exportTo, a client's namespace),
// portLevelSettings replacing the top-level pool, and unset / 0 meaning unlimited.
#include <gtest/gtest.h>

#include <variant>

#include "config/yaml_parser.h"
#include "upstream/kernel_connection_limits.h"

namespace zmesh::upstream {
namespace {

using Endpoint = boost::asio::ip::tcp::endpoint;

Endpoint ep(const char* ip, uint16_t port) {
  return {boost::asio::ip::make_address(ip), port};
}

const char* kCluster = R"yaml(
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec:
  clusterIPs: [10.96.0.10, "fd00::10"]
  selector: {app: reviews}
  ports: [{name: http, port: 80}, {name: admin, port: 9090}]
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: shop}
spec:
  clusterIP: 10.96.0.11
  selector: {app: ratings}
  ports: [{port: 80}]
)yaml";

std::map<Endpoint, uint32_t> limits_with(const std::string& rules) {
  auto parsed = config::parse_yaml(std::string(kCluster) + "---\n" + rules, "t.yaml", "t.yaml");
  EXPECT_TRUE(parsed.ok());
  state::ConfigSet set;
  for (auto& decoded : parsed.value()) {
    EXPECT_TRUE(decoded.object) << decoded.error;
    if (decoded.object) std::visit([&](auto& o) { set.add(std::move(o)); }, *decoded.object);
  }
  return kernel_connection_limits(*state::Snapshot::build(std::move(set)));
}

std::string rule(const std::string& ns, const std::string& host, const std::string& extra,
                 const std::string& name = "r") {
  return "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: " + name +
         ", namespace: " + ns + "}\nspec:\n  host: \"" + host + "\"\n" + extra;
}

const char* kPool3 = "  trafficPolicy: {connectionPool: {tcp: {maxConnections: 3}}}\n";

TEST(KernelConnectionLimits, ShortAndQualifiedHostLimitEveryVipAndPort) {
  std::map<Endpoint, uint32_t> want = {{ep("10.96.0.10", 80), 3},
                                       {ep("10.96.0.10", 9090), 3},
                                       {ep("fd00::10", 80), 3},
                                       {ep("fd00::10", 9090), 3}};
  EXPECT_EQ(limits_with(rule("shop", "reviews", kPool3)), want);
  EXPECT_EQ(limits_with(rule("shop", "reviews.shop.svc.cluster.local", kPool3)), want);
}

TEST(KernelConnectionLimits, WildcardMatchesAndExactHostWins) {
  auto both = limits_with(rule("shop", "*.shop.svc.cluster.local", kPool3));
  EXPECT_EQ(both.at(ep("10.96.0.11", 80)), 3u);
  EXPECT_EQ(both.at(ep("10.96.0.10", 80)), 3u);
  auto exact = limits_with(rule("shop", "*.shop.svc.cluster.local", kPool3, "wild") + "---\n" +
                           rule("shop", "reviews",
                                "  trafficPolicy: {connectionPool: {tcp: "
                                "{maxConnections: 7}}}\n",
                                "exact"));
  EXPECT_EQ(exact.at(ep("10.96.0.10", 80)), 7u);
  EXPECT_EQ(exact.at(ep("10.96.0.11", 80)), 3u);
}

TEST(KernelConnectionLimits, PortLevelSettingsReplaceTheTopLevelPool) {
  auto limits = limits_with(rule("shop", "reviews",
                                 "  trafficPolicy:\n"
                                 "    connectionPool: {tcp: {maxConnections: 3}}\n"
                                 "    portLevelSettings:\n"
                                 "    - port: {number: 9090}\n"
                                 "      connectionPool: {tcp: {maxConnections: 1}}\n"
                                 "    - port: {number: 80}\n"
                                 "      loadBalancer: {simple: RANDOM}\n"));
  // 80's port-level entry has no connectionPool: unlimited, not inherited.
  std::map<Endpoint, uint32_t> want = {{ep("10.96.0.10", 9090), 1}, {ep("fd00::10", 9090), 1}};
  EXPECT_EQ(limits, want);
}

TEST(KernelConnectionLimits, UnsetZeroAndSubsetOnlyPoolsAreUnlimited) {
  EXPECT_TRUE(limits_with(rule("shop", "reviews",
                               "  trafficPolicy: {loadBalancer: {simple: "
                               "RANDOM}}\n"))
                  .empty());
  EXPECT_TRUE(limits_with(rule("shop", "reviews",
                               "  trafficPolicy: {connectionPool: {tcp: "
                               "{maxConnections: 0}}}\n"))
                  .empty());
  EXPECT_TRUE(limits_with(rule("shop", "reviews",
                               "  subsets:\n  - name: v1\n    labels: {version: v1}\n"
                               "    trafficPolicy: {connectionPool: {tcp: {maxConnections: 2}}}\n"))
                  .empty());
}

TEST(KernelConnectionLimits, RulesThatAreNotNodeWideAreLeftToZtunnel) {
  // A client namespace's own rule, a rule seen by its namespace only, a workload-scoped rule.
  EXPECT_TRUE(limits_with("apiVersion: v1\nkind: Namespace\nmetadata: {name: client}\n---\n" +
                          rule("client", "reviews.shop.svc.cluster.local", kPool3))
                  .empty());
  EXPECT_TRUE(
      limits_with(rule("shop", "reviews", std::string(kPool3) + "  exportTo: [\".\"]\n")).empty());
  EXPECT_TRUE(limits_with(rule("shop", "reviews",
                               std::string(kPool3) + "  workloadSelector: {matchLabels: {app: "
                                                     "x}}\n  exportTo: [\".\"]\n"))
                  .empty());
  // The root namespace's rule applies mesh-wide; the Service namespace's own rule wins.
  std::string root = "apiVersion: v1\nkind: Namespace\nmetadata: {name: istio-system}\n---\n" +
                     rule("istio-system", "reviews.shop.svc.cluster.local", kPool3, "root");
  EXPECT_EQ(limits_with(root).at(ep("10.96.0.10", 80)), 3u);
  EXPECT_EQ(
      limits_with(root + "---\n" +
                  rule("shop", "reviews",
                       "  trafficPolicy: {connectionPool: {tcp: {maxConnections: 5}}}\n", "own"))
          .at(ep("10.96.0.10", 80)),
      5u);
}

}  // namespace
}  // namespace zmesh::upstream
