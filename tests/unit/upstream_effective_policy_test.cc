// Policy resolution for (DestinationRule, subset, port), table-driven: the rule's policy, its
// portLevelSettings replacing it wholesale, a subset's blocks replacing whole blocks, a
// subset's own port-level entry, an unknown subset, no rule at all.
#include <gtest/gtest.h>

#include "config/yaml_parser.h"
#include "upstream/effective_policy.h"

namespace zmesh::upstream {
namespace {

using Policy = LbConfig::Policy;

state::DestinationRule decode(const std::string& spec) {
  auto parsed = config::parse_yaml(
      "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: reviews\n"
      "  namespace: shop\nspec:\n" +
          spec,
      "dr.yaml", "dr.yaml");
  if (!parsed.ok() || parsed.value().size() != 1 || !parsed.value()[0].object) {
    ADD_FAILURE() << (parsed.ok() && !parsed.value().empty() ? parsed.value()[0].error
                                                             : "parse failed");
    return {};
  }
  return std::get<state::DestinationRule>(*parsed.value()[0].object);
}

const char* kRule = R"yaml(  host: reviews.shop.svc.cluster.local
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    connectionPool:
      tcp: {maxConnections: 100}
      http: {http1MaxPendingRequests: 10}
    outlierDetection: {consecutive5xxErrors: 7}
    portLevelSettings:
    - port: {number: 8080}
      loadBalancer: {simple: RANDOM}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      connectionPool:
        http: {http2MaxRequests: 5}
  - name: v3
    labels: {version: v3}
    trafficPolicy:
      loadBalancer:
        consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 1009}}
      portLevelSettings:
      - port: {number: 9090}
        connectionPool:
          tcp: {maxConnections: 3}
)yaml";

constexpr uint32_t U = kUnlimited;
constexpr uint32_t kNoOutlier = 0;  // in the table: no outlierDetection at all

struct Row {
  const char* what;
  const char* subset;
  uint32_t port;
  Policy lb;
  uint32_t max_connections, max_pending, max_requests;
  uint32_t consecutive_5xx;  // kNoOutlier: none
};

const Row kRows[] = {
    {"rule policy", "", 80, Policy::kRoundRobin, 100, 10, U, 7},
    {"rule port level: wholesale, others unset", "", 8080, Policy::kRandom, U, U, U, kNoOutlier},
    {"subset without policy = rule", "v1", 80, Policy::kRoundRobin, 100, 10, U, 7},
    {"subset without policy, port level", "v1", 8080, Policy::kRandom, U, U, U, kNoOutlier},
    {"subset connectionPool replaces the whole block", "v2", 80, Policy::kRoundRobin, U, U, 5, 7},
    {"rule port level, then subset block", "v2", 8080, Policy::kRandom, U, U, 5, kNoOutlier},
    {"subset loadBalancer, rest inherited", "v3", 80, Policy::kMaglev, 100, 10, U, 7},
    {"subset port level: wholesale, LB back to default", "v3", 9090, Policy::kLeastRequest, 3, U, U,
     kNoOutlier},
};

TEST(EffectivePolicy, ResolutionTable) {
  const state::DestinationRule rule = decode(kRule);
  for (const Row& row : kRows) {
    SCOPED_TRACE(row.what);
    auto p = effective_policy(&rule, row.subset, row.port);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->load_balancer.policy, row.lb);
    EXPECT_EQ(p->limits.max_connections, row.max_connections);
    EXPECT_EQ(p->limits.max_pending_requests, row.max_pending);
    EXPECT_EQ(p->limits.max_requests, row.max_requests);
    EXPECT_EQ(p->limits.max_retries, U);
    if (row.consecutive_5xx == kNoOutlier) {
      EXPECT_FALSE(p->outlier.has_value());
    } else {
      ASSERT_TRUE(p->outlier.has_value());
      EXPECT_EQ(p->outlier->consecutive_5xx, row.consecutive_5xx);
    }
    EXPECT_TRUE(p->traffic_policy.port_level_settings.empty());
  }
}

TEST(EffectivePolicy, SubsetHashSettingsCarryThrough) {
  const state::DestinationRule rule = decode(kRule);
  auto p = effective_policy(&rule, "v3", 80);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->load_balancer.maglev_table_size, 1009u);
  EXPECT_EQ(p->load_balancer.hash.key, state::ConsistentHashLb::Key::kHttpHeaderName);
  EXPECT_EQ(p->load_balancer.hash.http_header_name, "x-user");
}

TEST(EffectivePolicy, UnknownSubsetHasNoPolicy) {
  const state::DestinationRule rule = decode(kRule);
  EXPECT_FALSE(effective_policy(&rule, "v9", 80).has_value());
  EXPECT_FALSE(effective_policy(nullptr, "v1", 80).has_value());
}

TEST(EffectivePolicy, NoRuleMeansIstioDefaults) {
  auto p = effective_policy(nullptr, "", 80);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->load_balancer.policy, Policy::kLeastRequest);
  EXPECT_EQ(p->limits, CircuitBreakerLimits{});
  EXPECT_EQ(p->limits.max_connections, U);
  EXPECT_FALSE(p->outlier.has_value());
}

TEST(EffectivePolicy, PortLevelMatchDropsRuleLevelExtras) {
  // Istio's shadowCopyPortTrafficPolicy keeps only the four port-level blocks.
  const state::DestinationRule rule = decode(R"yaml(  host: reviews
  trafficPolicy:
    proxyProtocol: {version: V2}
    retryBudget: {percent: 30}
    portLevelSettings:
    - port: {number: 8080}
      loadBalancer: {simple: RANDOM}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      retryBudget: {percent: 50}
)yaml");
  auto p80 = effective_policy(&rule, "", 80);
  ASSERT_TRUE(p80.has_value());
  EXPECT_TRUE(p80->traffic_policy.proxy_protocol.has_value());
  EXPECT_TRUE(p80->traffic_policy.retry_budget.has_value());
  auto p8080 = effective_policy(&rule, "", 8080);
  ASSERT_TRUE(p8080.has_value());
  EXPECT_FALSE(p8080->traffic_policy.proxy_protocol.has_value());
  EXPECT_FALSE(p8080->traffic_policy.retry_budget.has_value());
  // A subset block still applies on top.
  auto v1 = effective_policy(&rule, "v1", 8080);
  ASSERT_TRUE(v1.has_value());
  ASSERT_TRUE(v1->traffic_policy.retry_budget.has_value());
  EXPECT_EQ(v1->traffic_policy.retry_budget->percent, 50.0);
  EXPECT_EQ(v1->load_balancer.policy, Policy::kRandom);
}

}  // namespace
}  // namespace zmesh::upstream
