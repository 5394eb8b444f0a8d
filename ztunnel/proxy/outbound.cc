#include "proxy/outbound.h"

#include <spdlog/spdlog.h>

#include "l7/http_session.h"
#include "proxy/sni_peek.h"
#include "routing/outbound_plan.h"
#include "transport/connection.h"
#include "transport/hbone_outbound.h"

namespace zmesh::proxy {
namespace asio = boost::asio;
using asio::ip::tcp;

// How long a client dialing a port with tls[] routes has to send its ClientHello (Envoy's
// tls_inspector waits 15 s; apps send it at once, so a short wait keeps stuck sockets cheap).
constexpr std::chrono::milliseconds kSniBudget{5000};

asio::awaitable<void> handle_outbound(transport::ProxyContext& ctx, transport::WorkerState& worker,
                                      std::shared_ptr<const transport::PodNetns> pod,
                                      tcp::socket client) {
  using Action = routing::OutboundPlan::Action;
  boost::system::error_code ec;
  tcp::endpoint peer = client.remote_endpoint(ec), local = client.local_endpoint(ec);
  if (ec) co_return;  // already gone

  auto snapshot = ctx.store.current();
  transport::ConnectionPeers peers;
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
    transport::report_failure(ctx, peers,
                              "no original destination recorded (direct call to 15001)");
    co_return;
  }
  peers.dst_addr = endpoint_text(*orig);

  routing::OutboundFacts facts{peers.source, *orig, std::nullopt};
  if (routing::needs_sni(worker.routes, snapshot, *orig))
    facts.sni = co_await peek_sni(client, kSniBudget);
  auto plan =
      routing::plan_outbound(worker.routes, snapshot, facts, ctx.trust_domain, worker.round_robin);
  switch (plan.action) {
    case Action::kRefuse:
      transport::report_failure(ctx, peers, plan.reason);
      co_return;
    case Action::kHttp:
      co_await l7::serve_http(ctx, worker, std::move(pod), std::move(client), std::move(peers),
                              std::move(*plan.http));
      co_return;
    case Action::kHbone:
    case Action::kTcp:
    case Action::kPassthrough:
      break;
  }
  const auto& target = *plan.target;
  peers.destination = target.workload.get();
  peers.service = target.service.get();
  peers.dst_addr = endpoint_text(target.endpoint);
  const upstream::ConnectionSettings* settings = plan.settings ? &*plan.settings : nullptr;
  if (plan.action == Action::kHbone) {
    co_await transport::tunnel_and_relay(ctx, worker, std::move(pod), target.workload,
                                         target.endpoint, std::move(client), std::move(peers),
                                         std::move(snapshot), settings);
    co_return;
  }
  co_await transport::dial_and_relay(ctx, worker, *pod, target.endpoint, std::move(client),
                                     std::move(peers), std::move(snapshot), settings);
}

}  // namespace zmesh::proxy
