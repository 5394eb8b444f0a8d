// Kernel objects for BPF tests: bpffs, a cgroup v2 directory, network namespaces and
// veths, each removed by its destructor. Names are unique per process so test binaries
// (and ctest -j) can run side by side.
#pragma once

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/unique_fd.h"

namespace zmesh::testing {

// "<pid>-<n>": unique within the machine for the life of this process.
inline std::string unique_suffix() {
  static std::atomic<int> counter{0};
  return std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// Runs a shell command; throws with the command on failure (tests want to stop there).
inline void sh(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0)
    throw std::runtime_error("command failed: " + command);
}

inline bool is_fs(const std::string& path, unsigned long magic) {
  struct statfs sfs;
  return ::statfs(path.c_str(), &sfs) == 0 && static_cast<unsigned long>(sfs.f_type) == magic;
}

// Mounts bpffs at /sys/fs/bpf if a fresh machine has not yet.
inline void ensure_bpffs() {
  if (is_fs("/sys/fs/bpf", BPF_FS_MAGIC)) return;
  if (::mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr) != 0 && !is_fs("/sys/fs/bpf", BPF_FS_MAGIC))
    throw std::runtime_error("cannot mount bpffs on /sys/fs/bpf");
}

// The cgroup v2 mount point, from /proc/mounts (/sys/fs/cgroup or .../unified).
inline std::string cgroup2_mount() {
  std::ifstream mounts("/proc/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string device, dir, type;
    fields >> device >> dir >> type;
    if (type == "cgroup2") return dir;
  }
  throw std::runtime_error("no cgroup2 mount in /proc/mounts");
}

// A cgroup v2 directory; processes that join it must have exited before destruction.
class TestCgroup {
 public:
  explicit TestCgroup(const std::string& name) : path_(cgroup2_mount() + "/" + name) {
    if (::mkdir(path_.c_str(), 0755) != 0) throw std::runtime_error("mkdir " + path_);
  }
  ~TestCgroup() {
    // Exited children may take a moment to leave the cgroup.
    for (int i = 0; i < 100 && ::rmdir(path_.c_str()) != 0 && errno == EBUSY; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A named network namespace (/run/netns/<name>) with lo up.
class TestNetns {
 public:
  explicit TestNetns(const std::string& name) : name_(name) {
    sh("ip netns add " + name_);
    sh("ip -n " + name_ + " link set lo up");
    fd_.reset(::open(path().c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd_) throw std::runtime_error("open " + path());
  }
  ~TestNetns() {
    fd_.reset();
    std::system(("ip netns del " + name_ + " >/dev/null 2>&1").c_str());
  }
  TestNetns(const TestNetns&) = delete;
  TestNetns& operator=(const TestNetns&) = delete;

  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }
  int fd() const { return fd_.get(); }
  // Runs `ip <args>` inside this namespace.
  void ip(const std::string& args) const { sh("ip -n " + name_ + " " + args); }

 private:
  std::string name_;
  UniqueFd fd_;
};

// Connects two namespaces with a veth pair: a_addr/b_addr are "10.77.0.1/24"-style.
// Deleted with the namespaces.
inline void connect_veth(const TestNetns& a, const std::string& a_addr, const TestNetns& b,
                         const std::string& b_addr, const std::string& tag) {
  std::string va = "zva" + tag, vb = "zvb" + tag;  // tag keeps names <= 15 chars
  sh("ip link add " + va + " netns " + a.name() + " type veth peer name " + vb + " netns " +
     b.name());
  a.ip("addr add " + a_addr + " dev " + va);
  b.ip("addr add " + b_addr + " dev " + vb);
  a.ip("link set " + va + " up");
  b.ip("link set " + vb + " up");
}

}  // namespace zmesh::testing
