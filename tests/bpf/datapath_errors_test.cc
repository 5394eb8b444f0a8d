// Misconfiguration and missing privileges give clear errors, never a crash.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "bpf_fixture.h"

namespace zmesh::testing {
namespace {

using DatapathErrorsTest = BpfTest;

TEST_F(DatapathErrorsTest, PinRootOutsideBpffs) {
  auto dp = bpf::Datapath::open({"/tmp/zmesh-not-bpffs-" + id_, cgroup_->path(), kMark});
  ASSERT_FALSE(dp.ok());
  EXPECT_NE(dp.error().message.find("mount -t bpf"), std::string::npos) << dp.error().message;
}

TEST_F(DatapathErrorsTest, CgroupPathThatIsNotCgroupV2) {
  auto dp = bpf::Datapath::open({pin_root_, "/tmp", kMark});
  ASSERT_FALSE(dp.ok());
  EXPECT_NE(dp.error().message.find("cgroup v2"), std::string::npos) << dp.error().message;
  auto missing = bpf::Datapath::open({pin_root_, cgroup_->path() + "/nope", kMark});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("nope"), std::string::npos);
}

TEST_F(DatapathErrorsTest, PinnedMapsWithoutPins) {
  auto maps = bpf::PinnedMaps::open(pin_root_);
  ASSERT_FALSE(maps.ok());
  EXPECT_NE(maps.error().message.find("no zmesh BPF pins"), std::string::npos)
      << maps.error().message;
}

// An unprivileged process (forked, uid nobody) gets an Error that says what is missing.
TEST_F(DatapathErrorsTest, UnprivilegedOpenFailsWithAHint) {
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(out[0]);
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) ::_exit(2);
    auto dp = bpf::Datapath::open({pin_root_ + "-nobody", cgroup_->path(), kMark});
    std::string message = dp.ok() ? "unexpectedly ok" : dp.error().message;
    (void)!::write(out[1], message.data(), message.size());
    ::_exit(dp.ok() ? 1 : 0);
  }
  ::close(out[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof(buf))) > 0;) message.append(buf, n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << message;
  EXPECT_NE(message.find("root"), std::string::npos) << message;
  // bpffs is world-writable (sticky) here: the child may have made its directories.
  EXPECT_TRUE(bpf::Datapath::remove_pins(pin_root_ + "-nobody").ok());
}

}  // namespace
}  // namespace zmesh::testing
