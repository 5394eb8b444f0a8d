// loadBalancer -> policy with Istio's defaults, and the factory behind it.
#include <gtest/gtest.h>

#include "upstream/make_load_balancer.h"
#include "upstream_test_endpoints.h"

namespace zmesh::upstream {
namespace {

using Policy = LbConfig::Policy;
using Simple = state::LoadBalancerSettings::Simple;
using Algorithm = state::ConsistentHashLb::Algorithm;

LbConfig simple(std::optional<Simple> s) {
  state::LoadBalancerSettings lb;
  lb.simple = s;
  return lb_config(lb);
}

TEST(LbConfig, SimplePolicies) {
  EXPECT_EQ(lb_config(std::nullopt).policy, Policy::kLeastRequest);
  EXPECT_EQ(simple(std::nullopt).policy, Policy::kLeastRequest);
  EXPECT_EQ(simple(Simple::kUnspecified).policy, Policy::kLeastRequest);
  EXPECT_EQ(simple(Simple::kLeastConn).policy, Policy::kLeastRequest);
  EXPECT_EQ(simple(Simple::kLeastRequest).policy, Policy::kLeastRequest);
  EXPECT_EQ(simple(Simple::kRoundRobin).policy, Policy::kRoundRobin);
  EXPECT_EQ(simple(Simple::kRandom).policy, Policy::kRandom);
  EXPECT_EQ(simple(Simple::kPassthrough).policy, Policy::kPassthrough);
}

TEST(LbConfig, ConsistentHashSizes) {
  state::LoadBalancerSettings lb;
  lb.consistent_hash.emplace();
  EXPECT_EQ(lb_config(lb).policy, Policy::kRingHash);
  EXPECT_EQ(lb_config(lb).minimum_ring_size, 1024u);
  lb.consistent_hash->minimum_ring_size = 4096;  // deprecated top-level field
  EXPECT_EQ(lb_config(lb).minimum_ring_size, 4096u);
  lb.consistent_hash->minimum_ring_size = 0;
  lb.consistent_hash->algorithm = Algorithm::kRingHash;
  EXPECT_EQ(lb_config(lb).minimum_ring_size, 1024u);
  lb.consistent_hash->ring_hash_minimum_ring_size = 2048;
  EXPECT_EQ(lb_config(lb).minimum_ring_size, 2048u);
  lb.consistent_hash->algorithm = Algorithm::kMaglev;
  EXPECT_EQ(lb_config(lb).policy, Policy::kMaglev);
  EXPECT_EQ(lb_config(lb).maglev_table_size, 65537u);
  lb.consistent_hash->maglev_table_size = 1009;
  EXPECT_EQ(lb_config(lb).maglev_table_size, 1009u);
  lb.simple = Simple::kRandom;  // consistentHash wins, as in Istio
  EXPECT_EQ(lb_config(lb).policy, Policy::kMaglev);
}

TEST(MakeLoadBalancer, PassthroughKeepsTheOriginalDestination) {
  auto lb = make_load_balancer(simple(Simple::kPassthrough), 1);
  auto eps = testing::equal(3);
  EXPECT_EQ(lb->pick(eps, std::nullopt).kind, Pick::Kind::kOriginalDestination);
  EXPECT_EQ(lb->pick({}, std::nullopt).kind, Pick::Kind::kOriginalDestination);
}

TEST(MakeLoadBalancer, EveryOtherPolicyPicksAHealthyEndpoint) {
  for (auto p : {Policy::kLeastRequest, Policy::kRoundRobin, Policy::kRandom, Policy::kRingHash,
                 Policy::kMaglev}) {
    LbConfig config;
    config.policy = p;
    auto lb = make_load_balancer(config, 3);
    auto eps = testing::equal(3);
    eps[0].healthy = eps[2].healthy = false;
    EXPECT_EQ(lb->pick(eps, 12345), Pick::endpoint(1)) << static_cast<int>(p);
    EXPECT_EQ(lb->pick({}, std::nullopt).kind, Pick::Kind::kNoHealthyEndpoint);
  }
}

}  // namespace
}  // namespace zmesh::upstream
