// Sockets for BPF tests: listeners inside a namespace, accept with a deadline, and an
// "app" child process that joins a cgroup and a netns, connects, and holds the socket
// open until told to close it.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/unique_fd.h"
#include "netns/netns.h"

namespace zmesh::testing {

using Endpoint = boost::asio::ip::tcp::endpoint;

inline socklen_t to_sockaddr(const Endpoint& ep, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof(*ss));
  std::memcpy(ss, ep.data(), ep.size());
  return static_cast<socklen_t>(ep.size());
}

inline Endpoint from_sockaddr(const sockaddr_storage& ss) {
  Endpoint ep;
  std::memcpy(ep.data(), &ss, ss.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
  return ep;
}

inline Endpoint local_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return from_sockaddr(ss);
}

inline Endpoint peer_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return from_sockaddr(ss);
}

inline Endpoint ep(const std::string& ip, uint16_t port) {
  return {boost::asio::ip::make_address(ip), port};
}

// A listening TCP socket bound to `at`, created inside netns_fd.
inline UniqueFd listen_in(int netns_fd, const Endpoint& at) {
  UniqueFd fd;
  auto entered = netns::run_in(netns_fd, [&] {
    sockaddr_storage ss;
    socklen_t len = to_sockaddr(at, &ss);
    UniqueFd s(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6)
      ::setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0 && ::listen(s.get(), 16) == 0)
      fd = std::move(s);
  });
  if (!entered || !fd)
    throw std::runtime_error("listen on " + at.address().to_string() + ":" +
                             std::to_string(at.port()) + ": " + std::strerror(errno));
  return fd;
}

// Accepted connection, or an invalid fd if nothing arrives within timeout_ms.
inline UniqueFd accept_within(int listener, int timeout_ms = 2000) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return UniqueFd();
  return UniqueFd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
}

// Client connection made from the calling process inside netns_fd (no cgroup change),
// optionally bound to a source address first. Returns the fd, or invalid with errno.
inline UniqueFd connect_in(int netns_fd, const Endpoint& to,
                           const std::optional<Endpoint>& from = std::nullopt) {
  UniqueFd fd;
  int err = 0;
  auto entered = netns::run_in(netns_fd, [&] {
    sockaddr_storage ss;
    socklen_t len = to_sockaddr(to, &ss);
    UniqueFd s(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (from) {
      sockaddr_storage src;
      socklen_t src_len = to_sockaddr(*from, &src);
      if (::bind(s.get(), reinterpret_cast<sockaddr*>(&src), src_len) != 0) {
        err = errno;
        return;
      }
    }
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0)
      fd = std::move(s);
    else
      err = errno;
  });
  if (!entered) throw std::runtime_error(entered.error().message);
  errno = err;
  return fd;
}

// An app process: joins `cgroup_procs`, enters the netns at `netns_path`, optionally sets
// SO_MARK, connects to `to` (an AF_INET6 socket if `to` is IPv6, e.g. ::ffff:a.b.c.d),
// reports, then keeps the connection open until close() or destruction.
class AppClient {
 public:
  struct Report {
    int err;  // 0 when connected
    sockaddr_storage local;
  };

  AppClient(const std::string& cgroup_procs, const std::string& netns_path, const Endpoint& to,
            uint32_t mark = 0) {
    int report[2], control[2];
    if (::pipe2(report, O_CLOEXEC) != 0 || ::pipe2(control, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      ::close(report[0]);
      ::close(control[1]);
      child(cgroup_procs, netns_path, to, mark, report[1], control[0]);
    }
    ::close(report[1]);
    ::close(control[0]);
    report_fd_.reset(report[0]);
    control_fd_.reset(control[1]);
    pollfd p{report_fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1 || ::read(report_fd_.get(), &report_, sizeof(report_)) !=
                                        static_cast<ssize_t>(sizeof(report_)))
      report_.err = ETIMEDOUT;
  }
  ~AppClient() { close(); }
  AppClient(const AppClient&) = delete;
  AppClient& operator=(const AppClient&) = delete;

  bool connected() const { return report_.err == 0; }
  int error() const { return report_.err; }
  Endpoint local() const { return from_sockaddr(report_.local); }

  // Tells the child to close its socket and waits for it to exit.
  void close() {
    if (pid_ <= 0) return;
    control_fd_.reset();  // EOF on the control pipe: close and exit
    int status = 0;
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      ::usleep(10000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  [[noreturn]] static void child(const std::string& cgroup_procs, const std::string& netns_path,
                                 const Endpoint& to, uint32_t mark, int report_fd, int control_fd) {
    Report r{};
    auto fail = [&](int err) {
      r.err = err ? err : EIO;
      (void)!::write(report_fd, &r, sizeof(r));
      ::_exit(1);
    };
    int cg = ::open(cgroup_procs.c_str(), O_WRONLY | O_CLOEXEC);
    std::string pid = std::to_string(::getpid());
    if (cg < 0 || ::write(cg, pid.data(), pid.size()) < 0) fail(errno);
    int ns = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) fail(errno);
    sockaddr_storage ss;
    socklen_t len = to_sockaddr(to, &ss);
    int s = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) fail(errno);
    if (mark != 0 && ::setsockopt(s, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0) fail(errno);
    timeval tv{3, 0};
    ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (::connect(s, reinterpret_cast<sockaddr*>(&ss), len) != 0) fail(errno);
    socklen_t local_len = sizeof(r.local);
    ::getsockname(s, reinterpret_cast<sockaddr*>(&r.local), &local_len);
    (void)!::write(report_fd, &r, sizeof(r));
    pollfd p{control_fd, POLLIN, 0};
    ::poll(&p, 1, 30000);  // until the parent closes the pipe (or gives up)
    ::close(s);
    ::_exit(0);
  }

  pid_t pid_ = -1;
  UniqueFd report_fd_;
  UniqueFd control_fd_;
  Report report_{};
};

}  // namespace zmesh::testing
