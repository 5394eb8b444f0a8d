#include "proxy/inbound_hbone.h"

#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "hbone/server.h"
#include "hbone/stream_relay.h"
#include "identity/tls_credentials.h"
#include "l7/inbound_http.h"
#include "proxy/inbound_check.h"
#include "routing/worker_routes.h"
#include "transport/connection.h"
#include "transport/credentials.h"
#include "transport/upstream_channel.h"

namespace zmesh::proxy {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

inline constexpr std::chrono::seconds kHandshakeTimeout{10};

// What one TLS connection knows about its peer, shared by its streams.
struct Peer {
  tcp::endpoint addr;
  identity::SpiffeId id;
  std::shared_ptr<const identity::TlsCredentials> creds;  // ours, kept for the session's life
};

asio::awaitable<void> serve_stream(transport::ProxyContext& ctx, transport::WorkerState& worker,
                                   std::shared_ptr<const transport::PodNetns> pod,
                                   std::shared_ptr<Peer> peer,
                                   std::shared_ptr<hbone::Stream> stream) {
  const auto& request = stream->request();
  auto snapshot = ctx.store.current();
  auto config = routing::config_for(worker.routes, snapshot);
  InboundFacts facts{InboundListener::kHbone, pod->uid,  pod->ip,     peer->addr,
                     request.target,          &peer->id, config.get()};
  auto plan = plan_inbound(*snapshot, facts);
  account_decision(ctx, worker, plan);
  transport::ConnectionPeers peers;
  peers.reporter = "destination";
  peers.direction = "inbound";
  peers.src_addr = endpoint_text(peer->addr);
  peers.dst_addr = endpoint_text(request.target);
  label_ends(plan, peers);
  peers.security_policy = "mutual_tls";
  peers.source_principal = peer->id.uri();
  peers.destination_principal = peer->creds->cert->identity.uri();
  if (plan.action != InboundPlan::Action::kRelay && plan.action != InboundPlan::Action::kHttp) {
    stream->respond(plan.hbone_status);
    report_refusal(ctx, worker, plan, peers);
    co_return;
  }
  if (plan.action == InboundPlan::Action::kHttp) {
    stream->respond(200);
    l7::InboundConnection connection{pod, request.target, plan.view, std::move(peers),
                                     std::move(snapshot)};
    co_await l7::serve_inbound_http(ctx, worker, transport::hbone_channel(std::move(stream)),
                                    std::move(connection));
    co_return;
  }
  auto app = co_await transport::dial(ctx, *pod, request.target);
  if (!app) {
    stream->respond(503);
    transport::report_failure(ctx, peers, app.error().message);
    co_return;
  }
  stream->respond(200);
  // The stream is the client side here: socket -> stream bytes are the response.
  auto report = transport::begin_report(ctx, worker, std::move(peers), std::move(snapshot));
  RelayCounters swapped{report.live.upstream_to_client, report.live.client_to_upstream};
  RelayLimits limits;
  limits.closer = worker.inbound.watch(pod->uid, plan.view);
  hbone::start_stream_relay(
      std::move(*app), std::move(stream), swapped,
      [done = std::move(report.done)](const RelayResult& r) {
        RelayResult flipped = r;
        std::swap(flipped.client_to_upstream, flipped.upstream_to_client);
        done(flipped);
      },
      limits);
}

}  // namespace

asio::awaitable<void> handle_inbound_hbone(transport::ProxyContext& ctx,
                                           transport::WorkerState& worker,
                                           std::shared_ptr<const transport::PodNetns> pod,
                                           tcp::socket socket) {
  boost::system::error_code ec;
  auto peer = std::make_shared<Peer>();
  peer->addr = socket.remote_endpoint(ec);
  if (ec) co_return;
  peer->creds = co_await transport::pod_credentials(pod->identity.get());
  if (!peer->creds) {
    spdlog::warn("pod {}: HBONE from {} refused: no workload certificate yet", pod->uid,
                 endpoint_text(peer->addr));
    co_return;
  }

  auto tls = std::make_shared<hbone::TlsSocket>(std::move(socket), *peer->creds->server);
  asio::steady_timer timer(tls->get_executor(), kHandshakeTimeout);
  timer.async_wait([tls](boost::system::error_code e) {
    if (!e) tls->lowest_layer().cancel();
  });
  co_await tls->async_handshake(asio::ssl::stream_base::server,
                                asio::redirect_error(asio::use_awaitable, ec));
  timer.cancel();
  if (ec) {
    spdlog::info("pod {}: TLS handshake from {} refused: {}", pod->uid, endpoint_text(peer->addr),
                 ec.message());
    co_return;
  }
  auto id = identity::peer_identity(tls->native_handle());
  if (!id) {
    spdlog::info("pod {}: HBONE peer {} without identity: {}", pod->uid, endpoint_text(peer->addr),
                 id.error().message);
    co_return;
  }
  peer->id = std::move(*id);

  auto on_connect = [&ctx, &worker, pod, peer](std::shared_ptr<hbone::Stream> stream) {
    return serve_stream(ctx, worker, pod, peer, std::move(stream));
  };
  co_await hbone::serve(tls, ctx.hbone_options, on_connect);
}

}  // namespace zmesh::proxy
