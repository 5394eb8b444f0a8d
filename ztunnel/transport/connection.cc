#include "transport/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "transport/splice_relay.h"

namespace zmesh::transport {
namespace asio = boost::asio;
using asio::ip::tcp;

asio::awaitable<Result<tcp::socket>> dial(ProxyContext& ctx, const PodNetns& pod,
                                          const tcp::endpoint& to,
                                          std::chrono::milliseconds timeout) {
  auto fd = ctx.sockets.tcp_socket(pod.netns.get(), to.address().is_v6());
  if (!fd) co_return fd.error();
  auto executor = co_await asio::this_coro::executor;
  tcp::socket sock(executor);
  boost::system::error_code ec;
  sock.assign(to.protocol(), fd->release(), ec);
  if (ec) co_return make_error("assign socket: " + ec.message());

  asio::steady_timer timer(executor, timeout);
  bool timed_out = false;
  timer.async_wait([&](boost::system::error_code e) {
    if (!e) {
      timed_out = true;
      sock.cancel();
    }
  });
  co_await sock.async_connect(to, asio::redirect_error(asio::use_awaitable, ec));
  timer.cancel();
  if (timed_out) co_return make_error("connect " + endpoint_text(to) + ": timed out");
  if (ec) co_return make_error("connect " + endpoint_text(to) + ": " + ec.message());
  co_return std::move(sock);
}

void set_keepalive(tcp::socket& socket, const upstream::ConnectionSettings::Keepalive& k) {
  int fd = socket.native_handle();
  auto set = [fd](int level, int name, int value) {
    ::setsockopt(fd, level, name, &value, sizeof value);  // best effort, as Envoy
  };
  auto seconds = [](std::chrono::milliseconds d) {
    return static_cast<int>(std::max<int64_t>(1, (d.count() + 999) / 1000));
  };
  set(SOL_SOCKET, SO_KEEPALIVE, 1);
  if (k.probes) set(IPPROTO_TCP, TCP_KEEPCNT, static_cast<int>(*k.probes));
  if (k.time) set(IPPROTO_TCP, TCP_KEEPIDLE, seconds(*k.time));
  if (k.interval) set(IPPROTO_TCP, TCP_KEEPINTVL, seconds(*k.interval));
}

ConnectionReport begin_report(ProxyContext& ctx, WorkerState& worker, ConnectionPeers peers,
                              std::shared_ptr<const state::Snapshot> snapshot) {
  auto& counters = ctx.metrics.tcp(worker.index, make_tcp_labels(peers));
  counters.opened.fetch_add(1, std::memory_order_relaxed);
  auto started = std::chrono::steady_clock::now();
  // Istio: received = request bytes (client -> upstream), sent = response bytes.
  RelayCounters live{&counters.received, &counters.sent};
  auto done = [&ctx, &counters, started, peers = std::move(peers),
               snapshot = std::move(snapshot)](const RelayResult& r) {
    counters.closed.fetch_add(1, std::memory_order_relaxed);
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    ctx.access_log.write(
        make_access_record(peers, r.client_to_upstream, r.upstream_to_client, took, r.error));
  };
  return {live, std::move(done)};
}

namespace {

void relay_and_report(ProxyContext& ctx, WorkerState& worker, tcp::socket client,
                      tcp::socket upstream, ConnectionPeers peers,
                      std::shared_ptr<const state::Snapshot> snapshot, RelayLimits limits) {
  auto report = begin_report(ctx, worker, std::move(peers), std::move(snapshot));
  start_splice_relay(std::move(client), std::move(upstream), report.live, std::move(report.done),
                     limits);
}

}  // namespace

void relay_and_report(ProxyContext& ctx, WorkerState& worker, tcp::socket client,
                      tcp::socket upstream, ConnectionPeers peers,
                      std::shared_ptr<const state::Snapshot> snapshot) {
  relay_and_report(ctx, worker, std::move(client), std::move(upstream), std::move(peers),
                   std::move(snapshot), RelayLimits{});
}

RelayLimits relay_limits(const upstream::ConnectionSettings* settings) {
  if (!settings) return {};
  return {settings->tcp_idle_timeout, settings->max_connection_duration, nullptr};
}

asio::awaitable<void> dial_and_relay(ProxyContext& ctx, WorkerState& worker, const PodNetns& pod,
                                     const tcp::endpoint& to, tcp::socket client,
                                     ConnectionPeers peers,
                                     std::shared_ptr<const state::Snapshot> snapshot,
                                     const upstream::ConnectionSettings* settings,
                                     std::shared_ptr<RelayCloser> closer) {
  auto upstream =
      co_await dial(ctx, pod, to, settings ? settings->connect_timeout : kConnectTimeout);
  if (!upstream) {
    report_failure(ctx, peers, upstream.error().message);
    co_return;
  }
  if (settings && settings->keepalive) set_keepalive(*upstream, *settings->keepalive);
  auto limits = relay_limits(settings);
  limits.closer = std::move(closer);
  relay_and_report(ctx, worker, std::move(client), std::move(*upstream), std::move(peers),
                   std::move(snapshot), limits);
}

void report_failure(ProxyContext& ctx, const ConnectionPeers& peers, const std::string& error) {
  spdlog::warn("{} connection {} -> {} failed: {}", peers.direction, peers.src_addr, peers.dst_addr,
               error);
  ctx.access_log.write(make_access_record(peers, 0, 0, {}, error));
}

}  // namespace zmesh::transport
