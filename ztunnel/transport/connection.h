// Pieces shared by the outbound and inbound paths: dialing from inside a pod, and
// relaying an established pair while keeping metrics and the access log.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "common/endpoint_text.h"
#include "common/result.h"
#include "net/relay_deadline.h"
#include "net/relay_stats.h"
#include "transport/labels.h"
#include "transport/pod_netns.h"
#include "transport/proxy_context.h"
#include "upstream/connection_settings.h"

namespace zmesh::transport {

inline constexpr std::chrono::milliseconds kConnectTimeout{10'000};

// Connects to `to` with a marked socket created inside pod.netns, giving up after `timeout`
// (a DestinationRule's tcp.connectTimeout, else Istio's default).
boost::asio::awaitable<Result<boost::asio::ip::tcp::socket>> dial(
    ProxyContext& ctx, const PodNetns& pod, const boost::asio::ip::tcp::endpoint& to,
    std::chrono::milliseconds timeout = kConnectTimeout);

// tcp.tcpKeepalive on an upstream socket: SO_KEEPALIVE plus the counts and times given.
void set_keepalive(boost::asio::ip::tcp::socket& socket,
                   const upstream::ConnectionSettings::Keepalive& keepalive);

// The relay limits of `settings` (tcp.idleTimeout, tcp.maxConnectionDuration); none without a
// DestinationRule, so such relays keep no timers (Istio's 1h default is not enforced then).
RelayLimits relay_limits(const upstream::ConnectionSettings* settings);

// The telemetry side of a relayed connection: counts it open now; `live` is bumped by the
// relay; `done` counts it closed and writes the access log line.
struct ConnectionReport {
  RelayCounters live;
  std::function<void(const RelayResult&)> done;
};
ConnectionReport begin_report(ProxyContext& ctx, WorkerState& worker, ConnectionPeers peers,
                              std::shared_ptr<const state::Snapshot> snapshot);

// Relays client <-> upstream; counts the connection under `peers`' labels and writes the
// access log when it ends. `snapshot` keeps the workloads `peers` points to alive.
void relay_and_report(ProxyContext& ctx, WorkerState& worker, boost::asio::ip::tcp::socket client,
                      boost::asio::ip::tcp::socket upstream, ConnectionPeers peers,
                      std::shared_ptr<const state::Snapshot> snapshot);

// dial() then relay_and_report(); a failed dial is reported and closes the client.
// `settings`: the Service's DestinationRule connectionPool (connect timeout, keepalive, idle
// timeout, maximum duration); nullptr when no rule applies (Istio's defaults, no timers).
// `closer`: lets the inbound policy re-check end the relay.
boost::asio::awaitable<void> dial_and_relay(ProxyContext& ctx, WorkerState& worker,
                                            const PodNetns& pod,
                                            const boost::asio::ip::tcp::endpoint& to,
                                            boost::asio::ip::tcp::socket client,
                                            ConnectionPeers peers,
                                            std::shared_ptr<const state::Snapshot> snapshot,
                                            const upstream::ConnectionSettings* settings = nullptr,
                                            std::shared_ptr<RelayCloser> closer = nullptr);

// Access log for a connection that never got an upstream.
void report_failure(ProxyContext& ctx, const ConnectionPeers& peers, const std::string& error);

}  // namespace zmesh::transport
