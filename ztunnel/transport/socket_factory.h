// Every socket the daemon opens is created here: inside the right pod network namespace,
// and marked (SO_MARK) so our own BPF programs never redirect it again.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>

#include "common/result.h"
#include "common/unique_fd.h"

namespace zmesh::transport {

class SocketFactory {
 public:
  explicit SocketFactory(uint32_t mark) : mark_(mark) {}

  // A non-blocking TCP socket in netns_fd (-1: the caller's netns), marked, TCP_NODELAY.
  Result<UniqueFd> tcp_socket(int netns_fd, bool ipv6) const;

  // A listening socket in netns_fd bound to `at`, SO_REUSEPORT so each worker can hold
  // one and the kernel spreads connections over them.
  Result<UniqueFd> listener(int netns_fd, const boost::asio::ip::tcp::endpoint& at) const;

  uint32_t mark() const { return mark_; }

 private:
  Result<void> configure(int fd) const;
  uint32_t mark_;
};

}  // namespace zmesh::transport
