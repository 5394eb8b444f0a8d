#include "transport/hbone_outbound.h"

#include "bpf/zmesh.h"
#include "hbone/stream_relay.h"
#include "identity/tls_credentials.h"
#include "routing/outbound_plan.h"
#include "transport/connection.h"
#include "transport/credentials.h"

namespace zmesh::transport {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Istio's baggage: who the source is, for the destination's telemetry.
std::string make_baggage(const state::Workload* source) {
  if (!source) return {};
  return "k8s.cluster.name=Kubernetes,k8s.namespace.name=" + source->namespace_ +
         ",k8s.pod.name=" + source->name + ",service.name=" + source->canonical_service +
         ",service.version=" + source->canonical_revision;
}

}  // namespace

asio::awaitable<Result<std::shared_ptr<hbone::Stream>>> open_hbone_stream(
    ProxyContext& ctx, WorkerState& worker, std::shared_ptr<const PodNetns> pod,
    const state::Workload& destination, tcp::endpoint target, ConnectionPeers& peers,
    std::chrono::milliseconds connect_timeout) {
  auto creds = co_await pod_credentials(pod->identity.get());
  if (!creds) co_return make_error("no workload certificate for pod " + pod->uid + " yet");
  auto expected = routing::workload_identity(destination, ctx.trust_domain);
  peers.security_policy = "mutual_tls";
  peers.source_principal = creds->cert->identity.uri();
  peers.destination_principal = expected.uri();

  // Keyed by serial: a renewed certificate opens fresh connections; old ones drain.
  hbone::PoolKey key{peers.source_principal + "#" + creds->cert->serial,
                     tcp::endpoint(target.address(), ZMESH_PORT_INBOUND_HBONE)};
  hbone::ConnectOptions options;
  options.dial = [&ctx, pod, connect_timeout](const tcp::endpoint& to) {
    return dial(ctx, *pod, to, connect_timeout);
  };
  options.tls = creds->client;
  options.verify_peer = [expected](const SSL* ssl) -> Result<void> {
    auto id = identity::peer_identity(ssl);
    if (!id) return id.error();
    if (*id != expected)
      return make_error("server identity " + id->uri() + " is not the expected " + expected.uri());
    return ok();
  };
  hbone::ConnectRequest request;
  request.target = target;
  request.forwarded = hbone::make_forwarded(pod->ip);
  request.baggage = make_baggage(peers.source);

  auto stream = co_await worker.hbone->connect(key, options, std::move(request));
  if (!stream)
    co_return make_error("HBONE to " + endpoint_text(key.hbone_addr) + ": " +
                         stream.error().message);
  co_return std::move(*stream);
}

asio::awaitable<void> tunnel_and_relay(ProxyContext& ctx, WorkerState& worker,
                                       std::shared_ptr<const PodNetns> pod,
                                       std::shared_ptr<const state::Workload> destination,
                                       tcp::endpoint target, tcp::socket client,
                                       ConnectionPeers peers,
                                       std::shared_ptr<const state::Snapshot> snapshot,
                                       const upstream::ConnectionSettings* settings) {
  auto stream = co_await open_hbone_stream(ctx, worker, std::move(pod), *destination, target, peers,
                                           settings ? settings->connect_timeout : kConnectTimeout);
  if (!stream) {
    report_failure(ctx, peers, stream.error().message);
    co_return;
  }
  auto report = begin_report(ctx, worker, std::move(peers), std::move(snapshot));
  hbone::start_stream_relay(std::move(client), std::move(*stream), report.live,
                            std::move(report.done), relay_limits(settings));
}

}  // namespace zmesh::transport
