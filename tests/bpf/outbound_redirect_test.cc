// cgroup/connect4/6 + sockops in the real kernel: enrolled app sockets land on the
// in-pod 15001 listener with their original destination recoverable; others do not.
#include <gtest/gtest.h>

#include "bpf_fixture.h"

namespace zmesh::testing {
namespace {

class OutboundRedirectTest : public BpfTest {
 protected:
  // Checks one redirected connection end to end: accept on `capture`, look up the
  // original destination, see it in the pinned maps, close, see it gone and counted.
  void expect_redirected(const TestNetns& ns, uint64_t cookie, int capture, const Endpoint& to,
                         const Endpoint& want_orig) {
    auto client = app(ns, to);
    ASSERT_TRUE(client->connected()) << std::strerror(client->error());
    UniqueFd accepted = accept_within(capture);
    ASSERT_TRUE(accepted) << "connection did not reach the 15001 listener";

    Endpoint peer = peer_of(accepted.get());
    Endpoint local = local_of(accepted.get());
    EXPECT_EQ(local.port(), 15001);
    auto accepted_cookie = netns::socket_cookie_of_netns(accepted.get());
    ASSERT_TRUE(accepted_cookie.ok());
    EXPECT_EQ(*accepted_cookie, cookie);

    auto orig = datapath_->lookup_orig_dst(cookie, peer, local);
    ASSERT_TRUE(orig.has_value()) << "no zmesh_orig_dst entry for " << peer << " -> " << local;
    EXPECT_EQ(*orig, want_orig);

    auto conns = pinned().connections();
    ASSERT_EQ(conns.size(), 1u);
    EXPECT_EQ(conns[0].netns_cookie, cookie);
    EXPECT_EQ(conns[0].pod, "default/app");
    EXPECT_EQ(conns[0].orig_dst, want_orig);
    EXPECT_EQ(conns[0].src, peer);
    EXPECT_EQ(conns[0].dst, local);

    auto during = counters_of(cookie);
    ASSERT_TRUE(during.has_value());
    EXPECT_EQ(during->outbound_redirected, 1u);
    EXPECT_EQ(during->outbound_established, 1u);
    EXPECT_EQ(during->outbound_closed, 0u);
    EXPECT_EQ(during->pod, "default/app");

    client->close();
    accepted.reset();
    EXPECT_TRUE(eventually([&] { return pinned().connections().empty(); }));
    EXPECT_TRUE(eventually([&] { return counters_of(cookie)->outbound_closed == 1u; }));
    EXPECT_FALSE(datapath_->lookup_orig_dst(cookie, peer, local).has_value());
  }
};

TEST_F(OutboundRedirectTest, EnrolledIpv4ConnectLandsOnCaptureListener) {
  open_datapath();
  auto& pod = make_netns("pod");
  uint64_t cookie = enroll(pod, "default/app");
  UniqueFd capture = listen_in(pod.fd(), ep("127.0.0.1", 15001));
  expect_redirected(pod, cookie, capture.get(), ep("10.1.2.3", 80), ep("10.1.2.3", 80));
}

TEST_F(OutboundRedirectTest, EnrolledIpv6ConnectLandsOnIpv6CaptureListener) {
  open_datapath();
  auto& pod = make_netns("pod");
  uint64_t cookie = enroll(pod, "default/app");
  UniqueFd capture = listen_in(pod.fd(), ep("::1", 15001));
  expect_redirected(pod, cookie, capture.get(), ep("fd00::1", 8080), ep("fd00::1", 8080));
}

TEST_F(OutboundRedirectTest, V4MappedConnectStaysIpv4AndReportsIpv4Destination) {
  open_datapath();
  auto& pod = make_netns("pod");
  uint64_t cookie = enroll(pod, "default/app");
  UniqueFd capture = listen_in(pod.fd(), ep("127.0.0.1", 15001));
  expect_redirected(pod, cookie, capture.get(), ep("::ffff:10.1.2.3", 443), ep("10.1.2.3", 443));
}

TEST_F(OutboundRedirectTest, LoopbackDestinationIsNotRedirected) {
  open_datapath();
  auto& pod = make_netns("pod");
  uint64_t cookie = enroll(pod, "default/app");
  UniqueFd capture = listen_in(pod.fd(), ep("127.0.0.1", 15001));
  UniqueFd local_app = listen_in(pod.fd(), ep("127.0.0.1", 8080));
  auto client = app(pod, ep("127.0.0.1", 8080));
  ASSERT_TRUE(client->connected()) << std::strerror(client->error());
  EXPECT_TRUE(accept_within(local_app.get()));
  EXPECT_FALSE(accept_within(capture.get(), 200));
  EXPECT_EQ(counters_of(cookie)->outbound_redirected, 0u);
}

TEST_F(OutboundRedirectTest, NonEnrolledNetnsIsNotRedirected) {
  open_datapath();
  auto& enrolled = make_netns("in");
  uint64_t enrolled_cookie = enroll(enrolled, "default/app");
  auto& outside = make_netns("out");
  outside.ip("addr add 10.1.2.3/32 dev lo");
  UniqueFd capture = listen_in(outside.fd(), ep("127.0.0.1", 15001));
  UniqueFd real = listen_in(outside.fd(), ep("10.1.2.3", 80));

  auto client = app(outside, ep("10.1.2.3", 80));
  ASSERT_TRUE(client->connected()) << std::strerror(client->error());
  EXPECT_TRUE(accept_within(real.get())) << "direct connection did not arrive";
  EXPECT_FALSE(accept_within(capture.get(), 200)) << "non-enrolled netns was redirected";
  EXPECT_FALSE(counters_of(cookie_of(outside)).has_value());
  EXPECT_TRUE(pinned().connections().empty());
  EXPECT_NE(cookie_of(outside), enrolled_cookie);
}

TEST_F(OutboundRedirectTest, MarkedSocketIsNotRedirectedAndCounted) {
  open_datapath();
  auto& pod = make_netns("pod");
  uint64_t cookie = enroll(pod, "default/app");
  pod.ip("addr add 10.1.2.3/32 dev lo");
  UniqueFd capture = listen_in(pod.fd(), ep("127.0.0.1", 15001));
  UniqueFd real = listen_in(pod.fd(), ep("10.1.2.3", 80));

  auto client = app(pod, ep("10.1.2.3", 80), kMark);
  ASSERT_TRUE(client->connected()) << std::strerror(client->error());
  EXPECT_TRUE(accept_within(real.get())) << "marked connection did not go direct";
  EXPECT_FALSE(accept_within(capture.get(), 200)) << "marked socket was redirected";
  auto counters = counters_of(cookie);
  ASSERT_TRUE(counters.has_value());
  EXPECT_EQ(counters->skipped_marked, 1u);
  EXPECT_EQ(counters->outbound_redirected, 0u);

  // Another mark is an app's business: still redirected.
  auto other = app(pod, ep("10.1.2.3", 80), 0x42);
  ASSERT_TRUE(other->connected()) << std::strerror(other->error());
  EXPECT_TRUE(accept_within(capture.get()));
}

TEST_F(OutboundRedirectTest, UnenrollStopsRedirectionAndDropsCounters) {
  open_datapath();
  auto& pod = make_netns("pod");
  uint64_t cookie = enroll(pod, "default/app");
  pod.ip("addr add 10.1.2.3/32 dev lo");
  UniqueFd capture = listen_in(pod.fd(), ep("127.0.0.1", 15001));
  UniqueFd real = listen_in(pod.fd(), ep("10.1.2.3", 80));
  EXPECT_EQ(pinned().enrolled().size(), 1u);

  ASSERT_TRUE(datapath_->unenroll_netns(cookie).ok());
  ASSERT_TRUE(datapath_->unenroll_netns(cookie).ok()) << "unenroll must be idempotent";
  EXPECT_TRUE(pinned().enrolled().empty());
  auto client = app(pod, ep("10.1.2.3", 80));
  ASSERT_TRUE(client->connected()) << std::strerror(client->error());
  EXPECT_TRUE(accept_within(real.get()));
  EXPECT_FALSE(accept_within(capture.get(), 200));
  EXPECT_FALSE(counters_of(cookie).has_value());
}

}  // namespace
}  // namespace zmesh::testing
