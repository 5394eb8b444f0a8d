#include "proxy/outbound.h"

#include <spdlog/spdlog.h>

#include "l7/http_session.h"
#include "l7/l7_config.h"
#include "l7/tcp_routing.h"
#include "l7/worker_cache.h"
#include "proxy/connection.h"
#include "proxy/hbone_outbound.h"
#include "proxy/sni_peek.h"
#include "upstream/effective_policy.h"

namespace zmesh::proxy {
namespace asio = boost::asio;
using asio::ip::tcp;

// How long a client dialing a port with tls[] routes has to send its ClientHello (Envoy's
// tls_inspector waits 15 s; apps send it at once, so a short wait keeps stuck sockets cheap).
constexpr std::chrono::milliseconds kSniBudget{5000};

namespace {

// The connectionPool.tcp settings of the DestinationRule for a Service's byte stream (the
// port's, if it has portLevelSettings); nullopt when no rule with tcp settings applies, so a
// connection without one pays a map lookup and nothing else.
std::optional<upstream::ConnectionSettings> tcp_settings(
    WorkerState& worker, const std::shared_ptr<const state::Snapshot>& snapshot,
    const state::Workload* source, const state::ServiceInfo& service, uint16_t port) {
  auto config = l7::config_for(l7::worker_cache(worker.index), snapshot);
  const auto* rule = config->rule_for(service.hostname, source);
  if (!rule) return std::nullopt;
  auto policy = upstream::effective_policy(rule, "", port);
  if (!policy || !policy->traffic_policy.connection_pool ||
      !policy->traffic_policy.connection_pool->tcp)
    return std::nullopt;
  return upstream::connection_settings(policy->traffic_policy.connection_pool);
}

}  // namespace

asio::awaitable<void> handle_outbound(ProxyContext& ctx, WorkerState& worker,
                                      std::shared_ptr<const PodNetns> pod, tcp::socket client) {
  boost::system::error_code ec;
  tcp::endpoint peer = client.remote_endpoint(ec), local = client.local_endpoint(ec);
  if (ec) co_return;  // already gone

  auto snapshot = ctx.store.current();
  ConnectionPeers peers;
  peers.reporter = "source";
  peers.direction = "outbound";
  peers.source = snapshot->workload_by_uid(pod->uid).get();
  // The app's socket is bound to loopback (its destination was rewritten to 127.0.0.1); report
  // it under the pod's address, as the peer sees the connection.
  peers.src_addr = endpoint_text(tcp::endpoint(pod->ip, peer.port()));

  auto orig = ctx.datapath.lookup_orig_dst(pod->cookie, peer, local);
  if (!orig) {
    // Not a redirected socket: someone dialed 15001 directly. Never proxy to ourselves.
    peers.dst_addr = endpoint_text(local);
    report_failure(ctx, peers, "no original destination recorded (direct call to 15001)");
    co_return;
  }
  peers.dst_addr = endpoint_text(*orig);

  // A VirtualService tcp[] route picks the destination of a byte stream; else a Service port
  // that speaks HTTP (or has VirtualService http routes) is routed request by request (l7/);
  // everything else stays a byte stream to the Service or pod dialed.
  std::optional<state::Target> target;
  std::optional<std::string> sni;
  if (l7::tls_routes_apply(worker, snapshot, *orig)) sni = co_await peek_sni(client, kSniBudget);
  if (auto routed = l7::route_tcp(worker, snapshot, peers.source, *orig, sni)) {
    if (!routed->target) {
      report_failure(ctx, peers, routed->error);
      co_return;
    }
    target = std::move(routed->target);
  } else if (auto l7_target = l7::l7_target(worker, snapshot, *orig)) {
    co_await l7::serve_http(ctx, worker, std::move(pod), std::move(client), std::move(peers),
                            std::move(*l7_target));
    co_return;
  } else {
    target = snapshot->resolve(*orig, worker.round_robin);
  }
  if (!target) {
    report_failure(ctx, peers, "no healthy upstream for " + peers.dst_addr);
    co_return;
  }
  peers.destination = target->workload.get();
  peers.service = target->service.get();
  peers.dst_addr = endpoint_text(target->endpoint);
  std::optional<upstream::ConnectionSettings> settings;
  if (target->service)
    settings = tcp_settings(worker, snapshot, peers.source, *target->service, orig->port());

  // A workload in the mesh gets mutual TLS (HBONE); anything else plain TCP, as in Istio.
  if (target->workload && target->workload->ambient) {
    co_await tunnel_and_relay(ctx, worker, std::move(pod), target->workload, target->endpoint,
                              std::move(client), std::move(peers), std::move(snapshot),
                              settings ? &*settings : nullptr);
    co_return;
  }
  co_await dial_and_relay(ctx, worker, *pod, target->endpoint, std::move(client), std::move(peers),
                          std::move(snapshot), settings ? &*settings : nullptr);
}

}  // namespace zmesh::proxy
