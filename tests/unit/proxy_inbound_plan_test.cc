// The inbound decision as a table: which listener took the connection (15006 plaintext,
// 15008 HBONE), where it was going, who proved what; and the plan: relay to the app, or refuse
// (self call, STRICT plaintext, AuthorizationPolicy) with the status or reset the handler uses.
#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>
#include <string>
#include <vector>

#include "proxy/inbound_plan.h"

namespace zmesh::proxy {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::tcp;
using Action = InboundPlan::Action;

state::Pod pod(std::string name, std::string ip, std::string app) {
  state::Pod p;
  p.meta.name = std::move(name);
  p.meta.namespace_ = "shop";
  p.meta.labels = {{"app", std::move(app)}};
  p.node_name = "node0";
  p.pod_ips = {make_address(ip)};
  return p;
}

// shop: ambient; db's port 5432 is STRICT; db admits only the "shop/sa/web" principal on 5432
// and denies everyone on 9999.
std::shared_ptr<const state::Snapshot> shop() {
  state::ConfigSet set;
  state::Namespace ns;
  ns.meta.name = "shop";
  ns.meta.labels = {{"istio.io/dataplane-mode", "ambient"}};
  set.add(ns);
  set.add(pod("db", "10.0.0.2", "db"));
  set.add(pod("web", "10.0.0.3", "web"));
  state::PeerAuthentication pa;
  pa.meta.name = "db-strict";
  pa.meta.namespace_ = "shop";
  pa.selector = state::Labels{{"app", "db"}};
  pa.mode = state::MtlsMode::kPermissive;
  pa.port_level = {{5432, state::MtlsMode::kStrict}};
  set.add(pa);
  state::AuthorizationPolicy allow;
  allow.meta.name = "db-from-web";
  allow.meta.namespace_ = "shop";
  allow.selector = state::Labels{{"app", "db"}};
  state::AuthzSource from;
  from.principals = {"cluster.local/ns/shop/sa/web"};
  state::AuthzOperation to;
  to.ports = {5432};
  allow.rules = {state::AuthzRule{{from}, {to}, {}}};
  state::AuthorizationPolicy deny;
  deny.meta.name = "no-9999";
  deny.meta.namespace_ = "shop";
  deny.action = state::AuthzAction::kDeny;
  state::AuthzOperation port9999;
  port9999.ports = {9999};
  deny.rules = {state::AuthzRule{{}, {port9999}, {}}};
  set.authorization_policies = {allow, deny};
  return state::Snapshot::build(std::move(set));
}

tcp::endpoint ep(const std::string& ip, uint16_t port) {
  return tcp::endpoint(make_address(ip), port);
}

struct Case {
  const char* name;
  InboundListener listener;
  tcp::endpoint src, dst;
  const char* peer_sa;  // "" for plaintext
  Action action;
  int hbone_status;
  bool reset;
  const char* reason;  // prefix of the refusal's reason
};

TEST(InboundPlan, Table) {
  const auto P = InboundListener::kPlaintext, H = InboundListener::kHbone;
  const std::vector<Case> cases = {
      {"HBONE from an allowed principal: relay", H, ep("10.0.0.3", 40000), ep("10.0.0.2", 5432),
       "web", Action::kRelay, 200, false, ""},
      {"HBONE from another principal: denied by the ALLOW policy", H, ep("10.0.0.9", 40000),
       ep("10.0.0.2", 5432), "intruder", Action::kDeny, 401, true,
       "policy rejection: allow policies exist, but none allowed"},
      {"HBONE to another pod's address: not this pod", H, ep("10.0.0.3", 40000),
       ep("10.0.0.3", 5432), "web", Action::kRefuseSelf, 400, false, "CONNECT to 10.0.0.3:5432"},
      {"HBONE to a mesh port: never into ztunnel", H, ep("10.0.0.3", 40000), ep("10.0.0.2", 15008),
       "web", Action::kRefuseSelf, 400, false, "CONNECT to 10.0.0.2:15008"},
      {"plaintext to a STRICT port: reset", P, ep("10.0.0.3", 40000), ep("10.0.0.2", 5432), "",
       Action::kRefuseStrict, 400, true, "plaintext refused: PeerAuthentication STRICT"},
      {"plaintext to a PERMISSIVE port, no principal: the ALLOW policy has none to match", P,
       ep("10.0.0.3", 40000), ep("10.0.0.2", 8080), "", Action::kDeny, 401, true,
       "policy rejection: allow policies exist, but none allowed"},
      {"plaintext to loopback: self call", P, ep("10.0.0.3", 40000), ep("127.0.0.1", 8080), "",
       Action::kRefuseSelf, 400, false, "refused self call to 127.0.0.1:8080"},
      {"HBONE to a denied port: the DENY policy wins", H, ep("10.0.0.3", 40000),
       ep("10.0.0.2", 9999), "web", Action::kDeny, 401, true,
       "policy rejection: explicitly denied by: shop/no-9999"},
      {"plaintext into a pod no policy covers: relay", P, ep("10.0.0.2", 40000),
       ep("10.0.0.3", 8080), "", Action::kRelay, 200, false, ""},
  };
  auto snapshot = shop();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    // The listener is the destination pod's: db unless the case dials web's own address
    // over plaintext (the last case).
    bool to_web =
        c.listener == InboundListener::kPlaintext && c.dst.address().to_string() == "10.0.0.3";
    identity::SpiffeId peer{"cluster.local", "shop", c.peer_sa};
    InboundFacts facts{c.listener,
                       to_web ? "shop/web" : "shop/db",
                       make_address(to_web ? "10.0.0.3" : "10.0.0.2"),
                       c.src,
                       c.dst,
                       *c.peer_sa ? &peer : nullptr};
    auto plan = plan_inbound(*snapshot, facts);
    EXPECT_EQ(plan.action, c.action) << plan.reason;
    EXPECT_EQ(plan.reason.rfind(c.reason, 0), 0u) << plan.reason;
    if (c.action != Action::kRelay) {
      EXPECT_EQ(plan.hbone_status, c.hbone_status);
      EXPECT_EQ(plan.reset, c.reset);
    }
    ASSERT_NE(plan.destination, nullptr);
    EXPECT_EQ(plan.destination->name, to_web ? "web" : "db");
    EXPECT_EQ(plan.view.source.has_value(), *c.peer_sa != '\0');
  }
}

TEST(InboundPlan, KnownSourceAndIpv4MappedPeers) {
  auto snapshot = shop();
  InboundFacts facts{InboundListener::kPlaintext, "shop/web",
                     make_address("10.0.0.3"),    ep("::ffff:10.0.0.2", 40000),
                     ep("::ffff:10.0.0.3", 8080), nullptr};
  auto plan = plan_inbound(*snapshot, facts);
  EXPECT_EQ(plan.action, Action::kRelay);
  EXPECT_EQ(plan.view.src_ip.to_string(), "10.0.0.2");  // policies name IPv4 as IPv4
  ASSERT_NE(plan.source, nullptr);
  EXPECT_EQ(plan.source->name, "db");
}

}  // namespace
}  // namespace zmesh::proxy
