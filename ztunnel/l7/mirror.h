// VirtualService `mirror` / `mirrors`: a sampled copy of the routed request goes to another
// destination, fire and forget, as Envoy's request mirroring (shadowing) does. The copy's
// authority gets Istio's (Envoy's) "-shadow" suffix on the host name; its response, failure
// or slowness never reaches the client nor delays the main response.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>
#include <vector>

#include "l7/http_message.h"
#include "l7/route_request.h"

namespace zmesh::l7 {

// "host" -> "host-shadow", "host:80" -> "host-shadow:80" (the suffix goes on the host part).
std::string shadow_authority(const std::string& authority);

// The mirror destinations this request is sampled for: `mirror` with mirrorPercentage (else
// the deprecated mirrorPercent, else 100%), then each of `mirrors` (percentage absent: 100%).
std::vector<const state::RouteDestinationRef*> sampled_mirrors(const state::HttpRoute& route,
                                                               upstream::Rng& rng);

// Starts one detached copy of `request` (as it goes upstream) per sampled mirror, on
// `executor` (the worker's: the copies use its cache and connection pool).
void start_mirrors(boost::asio::any_io_executor executor, transport::ProxyContext& ctx,
                   transport::WorkerState& worker, WorkerCache& cache,
                   const std::shared_ptr<const routing::L7Config>& config,
                   const std::shared_ptr<const transport::PodNetns>& pod,
                   const routing::L7Target& target, const state::HttpRoute& route,
                   const std::string& vs_namespace, const Request& request);

}  // namespace zmesh::l7
