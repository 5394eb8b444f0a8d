#include "netns/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

namespace zmesh::netns {

Result<UniqueFd> open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open netns " + path, errno);
  return UniqueFd(fd);
}

Result<void> run_in(int netns_fd, const std::function<void()>& fn) {
  UniqueFd self(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!self) return errno_error("open own netns", errno);
  if (::setns(netns_fd, CLONE_NEWNET) != 0) return errno_error("setns into pod netns", errno);
  fn();
  if (::setns(self.get(), CLONE_NEWNET) != 0) {
    // Staying in the wrong namespace would misplace every later socket of this thread.
    std::abort();
  }
  return ok();
}

Result<uint64_t> socket_cookie_of_netns(int sock_fd) {
  uint64_t value = 0;
  socklen_t len = sizeof(value);
  if (::getsockopt(sock_fd, SOL_SOCKET, SO_NETNS_COOKIE, &value, &len) != 0)
    return errno_error("getsockopt(SO_NETNS_COOKIE)", errno);
  return value;
}

Result<uint64_t> cookie(int netns_fd) {
  UniqueFd sock;
  int err = 0;
  auto entered = run_in(netns_fd, [&] {
    sock.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock) err = errno;
  });
  if (!entered) return entered.error();
  if (!sock) return errno_error("socket in netns", err);
  return socket_cookie_of_netns(sock.get());
}

}  // namespace zmesh::netns
