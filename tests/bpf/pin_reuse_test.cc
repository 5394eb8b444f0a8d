// Restart semantics: pins outlive the Datapath object, a second open reuses maps and
// swaps programs into the pinned links, an ABI change recreates maps, remove_pins
// detaches everything.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "bpf_fixture.h"
#include "zmesh.h"

namespace zmesh::testing {
namespace {

class PinReuseTest : public BpfTest {
 protected:
  void SetUp() override {
    BpfTest::SetUp();
    if (IsSkipped()) return;
    pod_ = &make_netns("pod");
    pod_->ip("addr add 10.1.2.3/32 dev lo");
    capture_ = listen_in(pod_->fd(), ep("127.0.0.1", 15001));
    real_ = listen_in(pod_->fd(), ep("10.1.2.3", 80));
  }

  // True if an app connection to 10.1.2.3:80 lands on 15001, false if it goes direct.
  bool redirected() {
    auto client = app(*pod_, ep("10.1.2.3", 80));
    if (!client->connected()) throw std::runtime_error(std::strerror(client->error()));
    if (accept_within(capture_.get(), 500)) return true;
    if (accept_within(real_.get(), 500)) return false;
    throw std::runtime_error("connection went nowhere");
  }

  uint32_t programs_on_cgroup(bpf_attach_type type) const {
    UniqueFd cg(::open(cgroup_->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    uint32_t count = 0;
    if (bpf_prog_query(cg.get(), type, 0, nullptr, nullptr, &count) != 0) return 99;
    return count;
  }

  void expect_single_attachment() const {
    EXPECT_EQ(programs_on_cgroup(BPF_CGROUP_INET4_CONNECT), 1u);
    EXPECT_EQ(programs_on_cgroup(BPF_CGROUP_INET6_CONNECT), 1u);
    EXPECT_EQ(programs_on_cgroup(BPF_CGROUP_SOCK_OPS), 1u);
  }

  TestNetns* pod_ = nullptr;
  UniqueFd capture_;
  UniqueFd real_;
};

TEST_F(PinReuseTest, SecondOpenReusesPinsAndKeepsRedirecting) {
  open_datapath();
  EXPECT_FALSE(datapath_->reused());
  uint64_t cookie = enroll(*pod_, "default/app");
  EXPECT_TRUE(redirected());

  datapath_.reset();  // the daemon exits: pinned links and maps keep working
  EXPECT_TRUE(redirected());

  open_datapath();
  EXPECT_TRUE(datapath_->reused());
  auto enrolled = pinned().enrolled();
  ASSERT_EQ(enrolled.size(), 1u) << "enrollment must survive a restart";
  EXPECT_EQ(enrolled[0].netns_cookie, cookie);
  EXPECT_EQ(enrolled[0].pod, "default/app");
  EXPECT_EQ(enrolled[0].pod_id, 7u);
  EXPECT_TRUE(redirected());
  expect_single_attachment();
  EXPECT_EQ(counters_of(cookie)->outbound_redirected, 3u) << "counters survive a restart";
}

TEST_F(PinReuseTest, AbiChangeRecreatesMapsButKeepsLinks) {
  open_datapath();
  enroll(*pod_, "default/app");
  datapath_.reset();

  bpf::PinLayout layout{pin_root_};
  UniqueFd config(bpf_obj_get(layout.map("zmesh_config").c_str()));
  ASSERT_TRUE(config);
  uint32_t key = 0;
  zmesh_config old{};
  old.abi_version = ZMESH_ABI_VERSION + 1;
  ASSERT_EQ(bpf_map_update_elem(config.get(), &key, &old, BPF_ANY), 0);
  EXPECT_FALSE(bpf::PinnedMaps::open(pin_root_).ok()) << "zmeshctl must refuse a foreign ABI";

  open_datapath();
  EXPECT_FALSE(datapath_->reused());
  EXPECT_TRUE(pinned().enrolled().empty()) << "maps were recreated";
  expect_single_attachment();
  enroll(*pod_, "default/app");
  EXPECT_TRUE(redirected());
}

TEST_F(PinReuseTest, RemovePinsDetachesEverything) {
  open_datapath();
  enroll(*pod_, "default/app");
  UniqueFd inbound = listen_in(pod_->fd(), ep("0.0.0.0", 15006));
  ASSERT_TRUE(datapath_
                  ->attach_inbound(pod_->fd(), "default/app",
                                   boost::asio::ip::make_address("10.1.2.3"), inbound.get())
                  .ok());
  EXPECT_TRUE(redirected());
  datapath_.reset();

  auto removed = bpf::Datapath::remove_pins(pin_root_);
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_FALSE(std::filesystem::exists(pin_root_));
  EXPECT_EQ(programs_on_cgroup(BPF_CGROUP_INET4_CONNECT), 0u);
  EXPECT_EQ(programs_on_cgroup(BPF_CGROUP_INET6_CONNECT), 0u);
  EXPECT_EQ(programs_on_cgroup(BPF_CGROUP_SOCK_OPS), 0u);
  uint32_t sk_lookup = 99;
  ASSERT_EQ(bpf_prog_query(pod_->fd(), BPF_SK_LOOKUP, 0, nullptr, nullptr, &sk_lookup), 0);
  EXPECT_EQ(sk_lookup, 0u);
  EXPECT_FALSE(redirected());
  EXPECT_TRUE(bpf::Datapath::remove_pins(pin_root_).ok()) << "nothing left is fine";
}

TEST_F(PinReuseTest, StaleLinkForAnotherCgroupIsReplaced) {
  open_datapath();
  enroll(*pod_, "default/app");
  datapath_.reset();

  // Same pin root, another cgroup (e.g. the node's cgroup was recreated).
  TestCgroup other("zmesh-test-" + id_ + "-other");
  auto moved = bpf::Datapath::open({pin_root_, other.path(), kMark});
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(programs_on_cgroup(BPF_CGROUP_INET4_CONNECT), 0u);
  EXPECT_FALSE(redirected()) << "the old cgroup is no longer attached";
  moved.value().reset();
  ASSERT_TRUE(bpf::Datapath::remove_pins(pin_root_).ok());  // before `other` is removed
}

}  // namespace
}  // namespace zmesh::testing
