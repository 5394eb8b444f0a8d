// One upstream connection as the HTTP client sees it: a byte stream that is either a plain TCP
// socket (destination outside the mesh) or an HBONE CONNECT stream (an ambient workload), so
// the HTTP/1.1 exchange is written once for both. The destination's inbound HTTP pipeline
// reads its clients through the same interface (a 15006 socket or a 15008 CONNECT stream).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>

#include "common/result.h"
#include "hbone/stream.h"
#include "net/relay_stats.h"
#include "state/snapshot.h"
#include "transport/labels.h"
#include "transport/pod_netns.h"
#include "transport/proxy_context.h"
#include "upstream/connection_settings.h"

namespace zmesh::transport {

class UpstreamChannel {
 public:
  virtual ~UpstreamChannel() = default;
  // 0 bytes: the peer closed.
  virtual boost::asio::awaitable<Result<size_t>> read_some(boost::asio::mutable_buffer buffer) = 0;
  virtual boost::asio::awaitable<Result<void>> write(boost::asio::const_buffer buffer) = 0;
  // Fails pending and later operations (a timeout gave up on this connection).
  virtual void abort() = 0;
  // Ends our side cleanly (TCP half-close, HBONE END_STREAM); reading may go on.
  virtual void close_write() = 0;
  // Hands the connection to a byte relay with `client` (after a protocol upgrade), which then
  // owns it: splice for TCP, the stream relay for HBONE. `done` runs once both directions end.
  virtual void relay(boost::asio::ip::tcp::socket client, RelayCounters counters,
                     std::function<void(const RelayResult&)> done) = 0;
};

std::unique_ptr<UpstreamChannel> tcp_channel(boost::asio::ip::tcp::socket socket);
std::unique_ptr<UpstreamChannel> hbone_channel(std::shared_ptr<hbone::Stream> stream);

// Connects from `pod` to `backend`: HBONE when the backend is an ambient workload, else TCP.
// `peers` receives the mutual TLS principals when HBONE is used. `settings.connect_timeout`
// bounds the TCP connect (of a new pooled HBONE connection too); `settings.keepalive` applies
// to a plain TCP socket (an HBONE stream shares its connection with others).
boost::asio::awaitable<Result<std::unique_ptr<UpstreamChannel>>> open_channel(
    transport::ProxyContext& ctx, transport::WorkerState& worker,
    std::shared_ptr<const transport::PodNetns> pod, const state::Backend& backend,
    boost::asio::ip::tcp::endpoint target, transport::ConnectionPeers& peers,
    const upstream::ConnectionSettings& settings);

}  // namespace zmesh::transport
