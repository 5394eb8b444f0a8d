// A node obtains only identities of workloads scheduled on it (pure function over a Snapshot).
#include <gtest/gtest.h>

#include "ca/node_authorizer.h"

namespace zmesh::ca {
namespace {

state::Pod pod(const std::string& ns, const std::string& name, const std::string& node,
               const std::string& sa) {
  state::Pod p;
  p.meta.name = name;
  p.meta.namespace_ = ns;
  p.node_name = node;
  p.service_account = sa;
  return p;
}

identity::SpiffeId id(const std::string& td, const std::string& ns, const std::string& sa) {
  return {td, ns, sa};
}

class NodeAuthorizerTest : public testing::Test {
 protected:
  std::shared_ptr<const state::Snapshot> snapshot_ =
      state::Snapshot::build({},
                             {pod("shop", "web-1", "n1", "web"), pod("shop", "db-1", "n2", "db"),
                              pod("shop", "plain", "n1", "default")},
                             {});
};

TEST_F(NodeAuthorizerTest, Table) {
  struct Case {
    std::string node;
    identity::SpiffeId requested;
    bool allowed;
    std::string why;  // expected in the refusal
  };
  const Case cases[] = {
      {"n1", id("cluster.local", "shop", "web"), true, ""},
      {"n2", id("cluster.local", "shop", "db"), true, ""},
      {"n2", id("cluster.local", "shop", "web"), false, "no workload of it is scheduled there"},
      {"n1", id("cluster.local", "shop", "db"), false, "no workload of it is scheduled there"},
      {"n1", id("cluster.local", "shop", "unknown"), false, "no workload of it is scheduled"},
      {"n1", id("cluster.local", "other", "web"), false, "no workload of it is scheduled"},
      {"n3", id("cluster.local", "shop", "web"), false, "no workload of it is scheduled"},
      {"n1", id("evil.example", "shop", "web"), false, "trust domain evil.example is not"},
      {"", id("cluster.local", "shop", "web"), false, "names no node"},
      {"n1", id("cluster.local", "shop", "default"), true, ""},
      {"n2", id("cluster.local", "shop", "default"), false, "no workload"},
  };
  for (const auto& c : cases) {
    auto r = authorize_node(*snapshot_, c.node, c.requested, "cluster.local");
    EXPECT_EQ(r.ok(), c.allowed) << c.node << " " << c.requested.uri();
    if (!c.allowed && !r.ok()) {
      EXPECT_NE(r.error().message.find(c.why), std::string::npos) << r.error().message;
      EXPECT_NE(r.error().message.find(c.requested.uri()), std::string::npos);
    }
  }
}

TEST_F(NodeAuthorizerTest, RefusalNamesNodeAndIdentity) {
  auto r = authorize_node(*snapshot_, "n2", id("cluster.local", "shop", "web"), "cluster.local");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "node n2 may not obtain spiffe://cluster.local/ns/shop/sa/web: no workload of it is "
            "scheduled there");
}

TEST_F(NodeAuthorizerTest, EmptySnapshotRefusesEverything) {
  state::Snapshot empty;
  EXPECT_FALSE(authorize_node(empty, "n1", id("cluster.local", "shop", "web"), "cluster.local"));
}

}  // namespace
}  // namespace zmesh::ca
