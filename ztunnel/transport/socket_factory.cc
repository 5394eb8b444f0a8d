#include "transport/socket_factory.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include "netns/netns.h"

namespace zmesh::transport {

Result<void> SocketFactory::configure(int fd) const {
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_MARK, &mark_, sizeof(mark_)) != 0)
    return errno_error("setsockopt(SO_MARK)", errno);
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
    return errno_error("setsockopt(TCP_NODELAY)", errno);
  return ok();
}

Result<UniqueFd> SocketFactory::tcp_socket(int netns_fd, bool ipv6) const {
  int family = ipv6 ? AF_INET6 : AF_INET;
  UniqueFd fd;
  int err = 0;
  auto create = [&] {
    fd.reset(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) err = errno;
  };
  if (netns_fd >= 0) {
    if (auto r = netns::run_in(netns_fd, create); !r) return r.error();
  } else {
    create();
  }
  if (!fd) return errno_error("socket", err);
  if (auto r = configure(fd.get()); !r) return r.error();
  return fd;
}

Result<UniqueFd> SocketFactory::listener(int netns_fd,
                                         const boost::asio::ip::tcp::endpoint& at) const {
  auto fd = tcp_socket(netns_fd, at.address().is_v6());
  if (!fd) return fd.error();
  int one = 1;
  int s = fd->get();
  if (::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      ::setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
    return errno_error("setsockopt(SO_REUSEPORT)", errno);
  if (at.address().is_v6()) ::setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (::bind(s, at.data(), at.size()) != 0)
    return errno_error("bind " + at.address().to_string() + ":" + std::to_string(at.port()), errno);
  if (::listen(s, 4096) != 0) return errno_error("listen", errno);
  return fd;
}

}  // namespace zmesh::transport
