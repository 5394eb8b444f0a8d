// sk_lookup in the real kernel: connections from outside a pod to pod_ip:<any port> are
// steered into the daemon's registered listener, keeping the original local address;
// connections from inside the pod (pod IP to itself) reach the app.
#include <bpf/bpf.h>
#include <gtest/gtest.h>

#include "bpf_fixture.h"

namespace zmesh::testing {
namespace {

constexpr const char* kPodIp = "10.77.0.2";
constexpr const char* kClientIp = "10.77.0.1";
constexpr const char* kPod = "default/web.1";

class InboundSteeringTest : public BpfTest {
 protected:
  void SetUp() override {
    BpfTest::SetUp();
    if (IsSkipped()) return;
    open_datapath();
    pod_ = &make_netns("pod");
    client_ = &make_netns("cli");
    connect_veth(*pod_, std::string(kPodIp) + "/24", *client_, std::string(kClientIp) + "/24",
                 short_tag());
    inbound_ = listen_in(pod_->fd(), ep("0.0.0.0", 15006));
  }

  Result<void> attach() {
    return datapath_->attach_inbound(pod_->fd(), kPod, boost::asio::ip::make_address(kPodIp),
                                     inbound_.get());
  }

  uint32_t sk_lookup_programs() const {
    uint32_t count = 0;
    if (bpf_prog_query(pod_->fd(), BPF_SK_LOOKUP, 0, nullptr, nullptr, &count) != 0) return 99;
    return count;
  }

  std::string link_pin() const {
    return bpf::PinLayout{pin_root_}.link(std::string("sk_lookup_") + bpf::pin_name(kPod));
  }

  TestNetns* pod_ = nullptr;
  TestNetns* client_ = nullptr;
  UniqueFd inbound_;
};

TEST_F(InboundSteeringTest, ConnectionFromAnotherNetnsIsSteeredWithOriginalLocalAddress) {
  ASSERT_TRUE(attach().ok());
  EXPECT_TRUE(bpf::path_exists(link_pin()));

  // Nothing listens on 9000 in the pod: only steering can accept this.
  UniqueFd conn = connect_in(client_->fd(), ep(kPodIp, 9000));
  ASSERT_TRUE(conn) << std::strerror(errno);
  UniqueFd accepted = accept_within(inbound_.get());
  ASSERT_TRUE(accepted) << "not steered to the inbound listener";
  EXPECT_EQ(local_of(accepted.get()), ep(kPodIp, 9000));
  EXPECT_EQ(peer_of(accepted.get()).address(), boost::asio::ip::make_address(kClientIp));

  auto counters = counters_of(cookie_of(*pod_));
  ASSERT_TRUE(counters.has_value());
  EXPECT_EQ(counters->inbound_steered, 1u);
}

TEST_F(InboundSteeringTest, ConnectionFromInsideThePodReachesTheApp) {
  ASSERT_TRUE(attach().ok());
  UniqueFd app = listen_in(pod_->fd(), ep(kPodIp, 9000));

  // The daemon's delivery connection: inside the pod, from the pod IP to the pod IP.
  UniqueFd delivery = connect_in(pod_->fd(), ep(kPodIp, 9000), ep(kPodIp, 0));
  ASSERT_TRUE(delivery) << std::strerror(errno);
  EXPECT_TRUE(accept_within(app.get())) << "delivery did not reach the app";
  EXPECT_FALSE(accept_within(inbound_.get(), 200)) << "delivery was steered back";
  // Loopback inside the pod is not steered either.
  UniqueFd lo_app = listen_in(pod_->fd(), ep("127.0.0.1", 9001));
  UniqueFd lo = connect_in(pod_->fd(), ep("127.0.0.1", 9001));
  ASSERT_TRUE(lo) << std::strerror(errno);
  EXPECT_TRUE(accept_within(lo_app.get()));
  EXPECT_FALSE(accept_within(inbound_.get(), 200));
  // From outside, the same port is steered even though the app listens on it.
  UniqueFd outside = connect_in(client_->fd(), ep(kPodIp, 9000));
  ASSERT_TRUE(outside) << std::strerror(errno);
  EXPECT_TRUE(accept_within(inbound_.get()));
  EXPECT_FALSE(accept_within(app.get(), 200));
}

TEST_F(InboundSteeringTest, MeshPortsAreNotSteered) {
  ASSERT_TRUE(attach().ok());
  UniqueFd hbone = listen_in(pod_->fd(), ep(kPodIp, 15008));
  UniqueFd conn = connect_in(client_->fd(), ep(kPodIp, 15008));
  ASSERT_TRUE(conn) << std::strerror(errno);
  EXPECT_TRUE(accept_within(hbone.get()));
  EXPECT_FALSE(accept_within(inbound_.get(), 200));
}

TEST_F(InboundSteeringTest, ReattachUpdatesInPlaceAndDetachRestoresNormalLookup) {
  ASSERT_TRUE(attach().ok());
  ASSERT_TRUE(attach().ok()) << "re-attaching must replace, not fail";
  EXPECT_EQ(sk_lookup_programs(), 1u) << "second attach must update the pinned link in place";

  ASSERT_TRUE(datapath_->detach_inbound(kPod, boost::asio::ip::make_address(kPodIp)).ok());
  EXPECT_FALSE(bpf::path_exists(link_pin()));
  EXPECT_EQ(sk_lookup_programs(), 0u);
  UniqueFd app = listen_in(pod_->fd(), ep(kPodIp, 9000));
  UniqueFd conn = connect_in(client_->fd(), ep(kPodIp, 9000));
  ASSERT_TRUE(conn) << std::strerror(errno);
  EXPECT_TRUE(accept_within(app.get()));
  EXPECT_FALSE(accept_within(inbound_.get(), 200));
  EXPECT_TRUE(datapath_->detach_inbound(kPod, boost::asio::ip::make_address(kPodIp)).ok())
      << "detach must be idempotent";
}

TEST_F(InboundSteeringTest, ClosedListenerOfAnEnrolledPodIsRefusedNotBypassed) {
  ASSERT_TRUE(attach().ok());
  inbound_.reset();  // the daemon died: the kernel drops the socket from the sockhash
  UniqueFd app = listen_in(pod_->fd(), ep(kPodIp, 9000));
  // SK_DROP on a SYN makes the lookup fail: the client gets a reset, as with Istio's
  // in-pod redirect to a ztunnel that is not there. The app never sees a connection that
  // went around the proxy (PeerAuthentication STRICT holds during a restart).
  UniqueFd conn = connect_in(client_->fd(), ep(kPodIp, 9000));
  EXPECT_FALSE(conn);
  EXPECT_EQ(errno, ECONNREFUSED) << std::strerror(errno);
  EXPECT_FALSE(accept_within(app.get(), 200));

  // The restarted daemon registers again: steered again.
  inbound_ = listen_in(pod_->fd(), ep("0.0.0.0", 15006));
  ASSERT_TRUE(attach().ok());
  UniqueFd again = connect_in(client_->fd(), ep(kPodIp, 9000));
  ASSERT_TRUE(again) << std::strerror(errno);
  EXPECT_TRUE(accept_within(inbound_.get()));
}

}  // namespace
}  // namespace zmesh::testing
