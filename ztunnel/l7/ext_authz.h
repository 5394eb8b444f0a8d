// A CUSTOM AuthorizationPolicy's check, sent to its external authorizer (meshConfig
// envoyExtAuthzHttp) from the destination pod as the pod's own outbound request would go: to
// the provider's Service (`[namespace/]hostname`, resolved through our registry), over HBONE
// when the authorizer is in the mesh, within the provider's timeout. The request and the
// verdict are ext_authz_check.h's pure functions.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>

#include "l7/ext_authz_check.h"
#include "l7/worker_cache.h"
#include "transport/pod_netns.h"
#include "transport/proxy_context.h"

namespace zmesh::l7 {

// `source`: the destination workload, now the caller (for DestinationRule workloadSelectors).
boost::asio::awaitable<ExtAuthzVerdict> check_ext_authz(
    transport::ProxyContext& ctx, transport::WorkerState& worker, WorkerCache& cache,
    std::shared_ptr<const transport::PodNetns> pod, const state::Workload* source,
    const state::ExtAuthzHttpProvider& provider, const Request& client);

}  // namespace zmesh::l7
