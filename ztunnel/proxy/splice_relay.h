// Bidirectional byte relay between two TCP sockets with splice(2): bytes move from socket
// to pipe to socket inside the kernel, never copied through userspace. Half-close is
// forwarded (EOF one way -> shutdown(SHUT_WR) on the other side) and back-pressure is the
// pipe: a full pipe stops reading until the slow side drains it.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <string>

namespace zmesh::proxy {

struct RelayResult {
  uint64_t client_to_upstream = 0;
  uint64_t upstream_to_client = 0;
  std::string error;  // empty on a clean close both ways
};

struct RelayCounters {
  std::atomic<uint64_t>* client_to_upstream = nullptr;  // bumped live, may be null
  std::atomic<uint64_t>* upstream_to_client = nullptr;
};

// Runs the relay on the sockets' executor; `done` runs there once both directions end.
void start_splice_relay(boost::asio::ip::tcp::socket client, boost::asio::ip::tcp::socket upstream,
                        RelayCounters counters, std::function<void(const RelayResult&)> done);

}  // namespace zmesh::proxy
