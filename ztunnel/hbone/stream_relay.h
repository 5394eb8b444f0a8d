// Relays a plain TCP socket and an HBONE stream until both directions end (half-close
// forwarded both ways: TCP EOF -> END_STREAM, END_STREAM -> shutdown(SHUT_WR)).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>

#include "hbone/stream.h"
#include "net/relay_deadline.h"
#include "net/relay_stats.h"

namespace zmesh::hbone {

// `client_to_upstream` counts socket -> stream bytes. Runs on the socket's executor (which
// must be the stream's); `done` runs there once both directions end. `limits` close both
// sides (socket closed, stream reset) when idle or too old.
void start_stream_relay(boost::asio::ip::tcp::socket socket, std::shared_ptr<Stream> stream,
                        RelayCounters counters, std::function<void(const RelayResult&)> done,
                        RelayLimits limits = {});

}  // namespace zmesh::hbone
