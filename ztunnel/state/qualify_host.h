// Istio's short-name rule for the hosts a VirtualService or DestinationRule names
// (ResolveShortnameToFQDN): a host without a dot is a Service of the config's namespace,
// "reviews" in bookinfo -> "reviews.bookinfo.svc.cluster.local". Names with a dot and the
// wildcard "*" stay as written.
#pragma once

#include <string>
#include <string_view>

namespace zmesh::state {

std::string qualify_host(std::string_view host, std::string_view ns);

}  // namespace zmesh::state
