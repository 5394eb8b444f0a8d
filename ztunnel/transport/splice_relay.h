// Bidirectional byte relay between two TCP sockets with splice(2): bytes move from socket
// to pipe to socket inside the kernel, never copied through userspace. Half-close is
// forwarded (EOF one way -> shutdown(SHUT_WR) on the other side) and back-pressure is the
// pipe: a full pipe stops reading until the slow side drains it.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "net/relay_deadline.h"
#include "net/relay_stats.h"

namespace zmesh::transport {

// Runs the relay on the sockets' executor; `done` runs there once both directions end.
void start_splice_relay(boost::asio::ip::tcp::socket client, boost::asio::ip::tcp::socket upstream,
                        RelayCounters counters, std::function<void(const RelayResult&)> done,
                        RelayLimits limits = {});

}  // namespace zmesh::transport
