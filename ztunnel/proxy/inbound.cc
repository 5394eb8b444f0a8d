#include "proxy/inbound.h"

#include "l7/inbound_http.h"
#include "proxy/inbound_check.h"
#include "routing/worker_routes.h"
#include "transport/connection.h"
#include "transport/upstream_channel.h"

namespace zmesh::proxy {
namespace asio = boost::asio;
using asio::ip::tcp;

asio::awaitable<void> handle_inbound(transport::ProxyContext& ctx, transport::WorkerState& worker,
                                     std::shared_ptr<const transport::PodNetns> pod,
                                     tcp::socket client) {
  boost::system::error_code ec;
  tcp::endpoint peer = client.remote_endpoint(ec), local = client.local_endpoint(ec);
  if (ec) co_return;

  auto snapshot = ctx.store.current();
  auto config = routing::config_for(worker.routes, snapshot);
  InboundFacts facts{
      InboundListener::kPlaintext, pod->uid, pod->ip, peer, local, nullptr, config.get()};
  auto plan = plan_inbound(*snapshot, facts);
  account_decision(ctx, worker, plan);
  transport::ConnectionPeers peers;
  peers.reporter = "destination";
  peers.direction = "inbound";
  peers.src_addr = endpoint_text(peer);
  peers.dst_addr = endpoint_text(local);
  label_ends(plan, peers);
  if (plan.action == InboundPlan::Action::kHttp) {
    l7::InboundConnection connection{pod, local, plan.view, std::move(peers), std::move(snapshot)};
    co_await l7::serve_inbound_http(ctx, worker, transport::tcp_channel(std::move(client)),
                                    std::move(connection));
    co_return;
  }
  if (plan.action != InboundPlan::Action::kRelay) {
    report_refusal(ctx, worker, plan, peers);
    if (plan.reset) client.set_option(tcp::socket::linger(true, 0), ec);  // a reset, not a close
    co_return;
  }
  auto closer = worker.inbound.watch(pod->uid, plan.view);
  co_await transport::dial_and_relay(ctx, worker, *pod, local, std::move(client), std::move(peers),
                                     std::move(snapshot), nullptr, std::move(closer));
}

}  // namespace zmesh::proxy
