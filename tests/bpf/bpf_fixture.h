// GoogleTest fixture for datapath tests in the real kernel: a fresh cgroup, pin root and
// namespaces per test, all removed in TearDown even when the test failed.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bpf/datapath.h"
#include "bpf/pin_layout.h"
#include "netns/netns.h"
#include "test_env.h"
#include "test_sockets.h"

namespace zmesh::testing {

class BpfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Never skip: a BPF test that silently does not run proves nothing.
    ASSERT_EQ(::geteuid(), 0u) << "BPF tests load programs into the kernel: run them as root";
    ensure_bpffs();
    id_ = unique_suffix();
    cgroup_ = std::make_unique<TestCgroup>("zmesh-test-" + id_);
    pin_root_ = "/sys/fs/bpf/zmesh-test-" + id_;
  }

  void TearDown() override {
    datapath_.reset();
    if (!pin_root_.empty()) {
      auto removed = bpf::Datapath::remove_pins(pin_root_);
      EXPECT_TRUE(removed.ok()) << removed.error().message;
    }
    netns_.clear();
    cgroup_.reset();
  }

  bpf::DatapathOptions options() const { return {pin_root_, cgroup_->path(), kMark}; }

  // Opens the datapath for this test (kept in datapath_); throws on failure.
  bpf::Datapath& open_datapath() {
    auto dp = bpf::Datapath::open(options());
    if (!dp) throw std::runtime_error("Datapath::open: " + dp.error().message);
    datapath_ = std::move(dp.value());
    return *datapath_;
  }

  TestNetns& make_netns(const std::string& tag) {
    netns_.push_back(std::make_unique<TestNetns>("zmt-" + id_ + "-" + tag));
    return *netns_.back();
  }

  // Short, unique tag for interface names (<= 12 chars).
  std::string short_tag() const {
    std::string tag = id_;
    for (char& c : tag)
      if (c == '-') c = 'x';
    return tag;
  }

  static uint64_t cookie_of(const TestNetns& ns) {
    auto cookie = netns::cookie(ns.fd());
    if (!cookie) throw std::runtime_error(cookie.error().message);
    return *cookie;
  }

  // Enrolls ns in the open datapath under pod name `pod`.
  uint64_t enroll(const TestNetns& ns, const std::string& pod) {
    uint64_t cookie = cookie_of(ns);
    auto r = datapath_->enroll_netns(cookie, 7, pod);
    if (!r) throw std::runtime_error(r.error().message);
    return cookie;
  }

  std::unique_ptr<AppClient> app(const TestNetns& ns, const Endpoint& to, uint32_t mark = 0) {
    return std::make_unique<AppClient>(cgroup_->path() + "/cgroup.procs", ns.path(), to, mark);
  }

  bpf::PinnedMaps pinned() const {
    auto maps = bpf::PinnedMaps::open(pin_root_);
    if (!maps) throw std::runtime_error(maps.error().message);
    return std::move(maps.value());
  }

  std::optional<bpf::PodCounters> counters_of(uint64_t netns_cookie) const {
    for (auto& c : pinned().counters())
      if (c.netns_cookie == netns_cookie) return c;
    return std::nullopt;
  }

  // Polls `done` for up to two seconds (closes reach sockops asynchronously).
  static bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 200; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  }

  static constexpr uint32_t kMark = 0x539;
  std::string id_;
  std::string pin_root_;
  std::unique_ptr<TestCgroup> cgroup_;
  std::vector<std::unique_ptr<TestNetns>> netns_;
  std::unique_ptr<bpf::Datapath> datapath_;
};

}  // namespace zmesh::testing
