#include "l7/mirror.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <variant>

#include "route/fractional_percent.h"

namespace zmesh::l7 {
namespace asio = boost::asio;

std::string shadow_authority(const std::string& authority) {
  // A bracketed IPv6 literal keeps its colons inside the brackets.
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket))
    return authority + "-shadow";
  return authority.substr(0, colon) + "-shadow" + authority.substr(colon);
}

std::vector<const state::RouteDestinationRef*> sampled_mirrors(const state::HttpRoute& route,
                                                               upstream::Rng& rng) {
  std::vector<const state::RouteDestinationRef*> out;
  if (route.mirror) {
    route::FractionalPercent p{1'000'000, 1'000'000};
    if (route.mirror_percentage)
      p = route::from_percentage(*route.mirror_percentage);
    else if (route.mirror_percent)
      p = route::from_integer_percent(static_cast<int32_t>(*route.mirror_percent));
    if (route::sampled(p, rng.next())) out.push_back(&*route.mirror);
  }
  for (const auto& m : route.mirrors) {
    route::FractionalPercent p{1'000'000, 1'000'000};
    if (m.percentage) p = route::from_percentage(*m.percentage);
    if (route::sampled(p, rng.next())) out.push_back(&m.destination);
  }
  return out;
}

void start_mirrors(asio::any_io_executor executor, transport::ProxyContext& ctx,
                   transport::WorkerState& worker, WorkerCache& cache,
                   const std::shared_ptr<const routing::L7Config>& config,
                   const std::shared_ptr<const transport::PodNetns>& pod,
                   const routing::L7Target& target, const state::HttpRoute& route,
                   const std::string& vs_namespace, const Request& request) {
  for (const auto* ref : sampled_mirrors(route, cache.routes.rng)) {
    std::string host = routing::qualify_host(ref->host, vs_namespace);
    auto service = config->snapshot()->service_by_host(host);
    if (!service) continue;  // Envoy drops a shadow to an unknown cluster
    uint16_t port = target.port;
    if (ref->port)
      port = static_cast<uint16_t>(*ref->port);
    else if (service->ports.size() == 1)
      port = service->ports.front().port;
    auto made = routing::destination_for(cache.routes, config, host, ref->subset, port,
                                         target.original.address());
    auto* dest = std::get_if<std::shared_ptr<routing::Destination>>(&made);
    if (!dest) continue;
    auto copy = std::make_shared<Request>(request);
    copy->set(http::field::host, shadow_authority(std::string(request[http::field::host])));
    auto fwd = std::make_shared<ForwardRequest>();
    fwd->wire = serialize(*copy);
    fwd->request = copy.get();
    fwd->head = copy->method() == http::verb::head;
    fwd->timeout = route.timeout;  // the shadow lives under the route's timeout, no retries
    fwd->original = target.original.address();
    auto run = [&ctx, &worker, &cache, pod, d = *dest, fwd, copy]() -> asio::awaitable<void> {
      auto r = co_await forward(ctx, worker, cache, pod, d, *fwd);
      if (!r.response) spdlog::debug("mirror to {} failed: {}", d->key, r.error);
    };
    asio::co_spawn(executor, run, [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        spdlog::warn("mirror: {}", x.what());
      }
    });
  }
}

}  // namespace zmesh::l7
