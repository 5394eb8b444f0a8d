// DestinationRule maxConnections in the real kernel (bpf/lib/conn_limit.h): connect4/6 of
// enrolled pods count connections per Service VIP:port across the node, refuse the one past
// the limit with EPERM, and a close (established or not) gives the slot back.
#include <gtest/gtest.h>

#include <map>

#include "bpf_fixture.h"

namespace zmesh::testing {
namespace {

class ConnectionLimitTest : public BpfTest {
 protected:
  void set_limits(const std::map<Endpoint, uint32_t>& limits) {
    auto r = datapath_->set_connection_limits(limits);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  std::optional<bpf::ConnectionLimit> limit_of(const Endpoint& destination) const {
    for (const auto& l : pinned().connection_limits())
      if (l.destination == destination) return l;
    return std::nullopt;
  }

  uint32_t active(const Endpoint& destination) const {
    auto l = limit_of(destination);
    return l ? l->active : 0;
  }

  // Opens `n` connections to `to` from `ns`, each accepted on `capture`; all must succeed.
  void open_n(const TestNetns& ns, int capture, const Endpoint& to, int n,
              std::vector<std::unique_ptr<AppClient>>& clients, std::vector<UniqueFd>& accepted) {
    for (int i = 0; i < n; ++i) {
      clients.push_back(app(ns, to));
      ASSERT_TRUE(clients.back()->connected())
          << "connection " << i + 1 << ": " << std::strerror(clients.back()->error());
      accepted.push_back(accept_within(capture));
      ASSERT_TRUE(accepted.back()) << "connection " << i + 1 << " did not reach 15001";
    }
  }
};

TEST_F(ConnectionLimitTest, HoldsAtLimitRefusesOverflowAndCloseFreesASlot) {
  open_datapath();
  auto& pod = make_netns("pod");
  enroll(pod, "default/app");
  UniqueFd capture = listen_in(pod.fd(), ep("127.0.0.1", 15001));
  const Endpoint vip = ep("10.96.0.10", 80);
  set_limits({{vip, 3}});

  std::vector<std::unique_ptr<AppClient>> clients;
  std::vector<UniqueFd> accepted;
  open_n(pod, capture.get(), vip, 3, clients, accepted);
  EXPECT_EQ(active(vip), 3u);

  auto overflow = app(pod, vip);
  EXPECT_EQ(overflow->error(), EPERM) << "4th connection to a limit of 3 was not refused";
  EXPECT_FALSE(accept_within(capture.get(), 200));
  auto at_limit = limit_of(vip);
  ASSERT_TRUE(at_limit.has_value());
  EXPECT_EQ(at_limit->max_connections, 3u);
  EXPECT_EQ(at_limit->active, 3u);
  EXPECT_EQ(at_limit->rejected, 1u);

  // Another port of the same VIP has no limit.
  auto other_port = app(pod, ep("10.96.0.10", 81));
  EXPECT_TRUE(other_port->connected()) << std::strerror(other_port->error());

  clients[0]->close();
  accepted[0].reset();
  EXPECT_TRUE(eventually([&] { return active(vip) == 2u; }));
  auto again = app(pod, vip);
  EXPECT_TRUE(again->connected()) << "a closed connection did not free its slot: "
                                  << std::strerror(again->error());
  EXPECT_EQ(active(vip), 3u);
}

TEST_F(ConnectionLimitTest, CountIsNodeWideAcrossPods) {
  open_datapath();
  auto& a = make_netns("a");
  auto& b = make_netns("b");
  enroll(a, "default/a");
  enroll(b, "default/b");
  UniqueFd capture_a = listen_in(a.fd(), ep("127.0.0.1", 15001));
  UniqueFd capture_b = listen_in(b.fd(), ep("127.0.0.1", 15001));
  const Endpoint vip = ep("10.96.0.11", 443);
  set_limits({{vip, 2}});

  std::vector<std::unique_ptr<AppClient>> clients;
  std::vector<UniqueFd> accepted;
  open_n(a, capture_a.get(), vip, 1, clients, accepted);
  open_n(b, capture_b.get(), vip, 1, clients, accepted);
  EXPECT_EQ(app(a, vip)->error(), EPERM);
  EXPECT_EQ(app(b, vip)->error(), EPERM);
  EXPECT_EQ(limit_of(vip)->rejected, 2u);
}

TEST_F(ConnectionLimitTest, Ipv6AndV4MappedDestinations) {
  open_datapath();
  auto& pod = make_netns("pod");
  enroll(pod, "default/app");
  UniqueFd capture4 = listen_in(pod.fd(), ep("127.0.0.1", 15001));
  UniqueFd capture6 = listen_in(pod.fd(), ep("::1", 15001));
  const Endpoint vip6 = ep("fd00::10", 8080);
  const Endpoint vip4 = ep("10.96.0.12", 8080);
  set_limits({{vip6, 1}, {vip4, 1}});

  std::vector<std::unique_ptr<AppClient>> clients;
  std::vector<UniqueFd> accepted;
  open_n(pod, capture6.get(), vip6, 1, clients, accepted);
  EXPECT_EQ(app(pod, vip6)->error(), EPERM);
  // A dual-stack socket dialling ::ffff:10.96.0.12 counts against the IPv4 VIP.
  open_n(pod, capture4.get(), ep("::ffff:10.96.0.12", 8080), 1, clients, accepted);
  EXPECT_EQ(app(pod, vip4)->error(), EPERM);
  EXPECT_EQ(active(vip4), 1u);
}

TEST_F(ConnectionLimitTest, ConnectThatNeverEstablishesGivesItsSlotBack) {
  open_datapath();
  auto& pod = make_netns("pod");
  enroll(pod, "default/app");
  const Endpoint vip = ep("10.96.0.13", 80);
  set_limits({{vip, 1}});

  // No 15001 listener (the daemon is down): refused by the kernel, the slot must come back
  // (sockops never sees it established; cgroup/sock_release does see the close).
  auto refused = app(pod, vip);
  EXPECT_EQ(refused->error(), ECONNREFUSED);
  refused->close();
  EXPECT_TRUE(eventually([&] { return active(vip) == 0u; }));

  UniqueFd capture = listen_in(pod.fd(), ep("127.0.0.1", 15001));
  auto ok = app(pod, vip);
  EXPECT_TRUE(ok->connected()) << std::strerror(ok->error());
}

TEST_F(ConnectionLimitTest, ChangingTheLimitKeepsLiveCountsAndRemovalLetsAllThrough) {
  open_datapath();
  auto& pod = make_netns("pod");
  enroll(pod, "default/app");
  UniqueFd capture = listen_in(pod.fd(), ep("127.0.0.1", 15001));
  const Endpoint vip = ep("10.96.0.14", 80);
  set_limits({{vip, 2}});

  std::vector<std::unique_ptr<AppClient>> clients;
  std::vector<UniqueFd> accepted;
  open_n(pod, capture.get(), vip, 2, clients, accepted);
  EXPECT_EQ(app(pod, vip)->error(), EPERM);

  set_limits({{vip, 3}});
  EXPECT_EQ(active(vip), 2u) << "updating the limit reset the live count";
  open_n(pod, capture.get(), vip, 1, clients, accepted);
  EXPECT_EQ(app(pod, vip)->error(), EPERM);

  // Removed while connections are open: no limit, the count stays until they close.
  set_limits({});
  open_n(pod, capture.get(), vip, 1, clients, accepted);
  auto removed = limit_of(vip);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->max_connections, 0u);
  EXPECT_EQ(removed->active, 3u);

  clients.clear();
  accepted.clear();
  EXPECT_TRUE(eventually([&] { return active(vip) == 0u; }));
  set_limits({});  // the next sync sweeps the idle count
  EXPECT_FALSE(limit_of(vip).has_value());
}

}  // namespace
}  // namespace zmesh::testing
