#include "l7/ext_authz.h"

#include <spdlog/spdlog.h>

#include "l7/forward.h"
#include "l7/grpc_status.h"
#include "routing/worker_routes.h"

namespace zmesh::l7 {
namespace asio = boost::asio;

asio::awaitable<ExtAuthzVerdict> check_ext_authz(transport::ProxyContext& ctx,
                                                 transport::WorkerState& worker, WorkerCache& cache,
                                                 std::shared_ptr<const transport::PodNetns> pod,
                                                 const state::Workload* source,
                                                 const state::ExtAuthzHttpProvider& provider,
                                                 const Request& client) {
  const unsigned version = client.version();
  const bool grpc = is_grpc_request(client);
  auto config = routing::config_for(cache.routes, ctx.store.current());
  // Istio's `service`: "[<namespace>/]<hostname>"; the namespace only disambiguates.
  std::string host = provider.service;
  if (auto slash = host.find('/'); slash != std::string::npos) host = host.substr(slash + 1);
  auto service = config->snapshot()->service_by_host(host);
  if (!service || service->vips.empty()) {
    spdlog::warn("ext_authz: service {} is not in the registry", provider.service);
    co_return ext_authz_verdict(std::nullopt, provider, version, grpc);
  }
  auto made =
      routing::destination_for(cache.routes, config, host, "", static_cast<uint16_t>(provider.port),
                               service->vips.front(), source);
  if (auto* err = std::get_if<routing::DestinationError>(&made)) {
    spdlog::warn("ext_authz: {}: {}", provider.service, err->message);
    co_return ext_authz_verdict(std::nullopt, provider, version, grpc);
  }
  auto destination = std::get<std::shared_ptr<routing::Destination>>(std::move(made));
  auto check = std::make_unique<Request>(make_check_request(client, provider));
  ForwardRequest fwd;
  fwd.wire = serialize(*check);
  fwd.request = check.get();
  fwd.protocol = UpstreamProtocol::kHttp1;
  fwd.original = service->vips.front();
  fwd.head = check->method() == http::verb::head;
  fwd.timeout = provider.timeout;
  auto result = co_await forward(ctx, worker, cache, std::move(pod), destination, fwd);
  if (!result.response)
    spdlog::warn("ext_authz: no answer from {}: {}", provider.service, result.error);
  co_return ext_authz_verdict(result.response, provider, version, grpc);
}

}  // namespace zmesh::l7
