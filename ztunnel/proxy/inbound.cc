#include "proxy/inbound.h"

#include "bpf/zmesh.h"
#include "proxy/connection.h"
#include "rbac/inbound_check.h"

namespace zmesh::proxy {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

bool is_mesh_port(uint16_t port) {
  return port == ZMESH_PORT_OUTBOUND || port == ZMESH_PORT_INBOUND_PLAIN ||
         port == ZMESH_PORT_INBOUND_HBONE;
}

}  // namespace

asio::awaitable<void> handle_inbound(ProxyContext& ctx, WorkerState& worker,
                                     std::shared_ptr<const PodNetns> pod, tcp::socket client) {
  boost::system::error_code ec;
  tcp::endpoint peer = client.remote_endpoint(ec), local = client.local_endpoint(ec);
  if (ec) co_return;

  auto snapshot = ctx.store.current();
  ConnectionPeers peers;
  peers.reporter = "destination";
  peers.direction = "inbound";
  peers.src_addr = endpoint_text(peer);
  peers.dst_addr = endpoint_text(local);
  peers.source = snapshot->workload_by_ip(peer.address()).get();
  peers.destination = snapshot->workload_by_uid(pod->uid).get();
  if (peers.destination)
    peers.service = snapshot->service_for_port(*peers.destination, local.port());

  // Loopback or our own ports as destination would deliver the connection to ourselves.
  if (local.address().is_loopback() || is_mesh_port(local.port())) {
    report_failure(ctx, peers, "refused self call to " + peers.dst_addr);
    co_return;
  }
  // STRICT mTLS for this workload and port: plaintext is refused (the client sees a close).
  if (peers.destination &&
      snapshot->mtls_mode(*peers.destination, local.port()) == state::MtlsMode::kStrict) {
    report_failure(ctx, peers, "plaintext refused: PeerAuthentication STRICT");
    client.set_option(tcp::socket::linger(true, 0), ec);  // reset, not a polite close
    co_return;
  }
  if (!rbac::admit_inbound(ctx, worker, *snapshot, peers, peer, local, nullptr)) {
    client.set_option(tcp::socket::linger(true, 0), ec);  // denied: reset, as for STRICT
    co_return;
  }
  auto closer = worker.inbound.watch(pod->uid, rbac::connection_view(peer, local, nullptr));
  co_await dial_and_relay(ctx, worker, *pod, local, std::move(client), std::move(peers),
                          std::move(snapshot), nullptr, std::move(closer));
}

}  // namespace zmesh::proxy
