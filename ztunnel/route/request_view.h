// What the routing core needs to know about one HTTP request, borrowed from the proxy's own
// parsed request: nothing is copied, so the view must not outlive the request it points into.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "route/header_list.h"
#include "state/model.h"

namespace zmesh::route {

struct RequestView {
  std::string_view method;              // :method
  std::string_view scheme;              // :scheme ("http" unless the client spoke TLS to us)
  std::string_view authority;           // :authority, or Host for HTTP/1.1
  std::string_view path;                // :path, query included
  const HeaderList* headers = nullptr;  // the regular (non-pseudo) headers
  uint32_t destination_port = 0;        // the service port the client dialled
  // The calling workload. In a sidecar, Istio checks sourceLabels/sourceNamespace when it
  // builds the proxy's config; here one ztunnel serves many workloads, so the same test runs
  // per request against the workload that sent it.
  const state::Labels* source_labels = nullptr;
  std::string_view source_namespace;

  // A header as Envoy's route matchers see it: pseudo-headers from the fields above (`host`
  // is Envoy's alias of :authority), any other name from `headers`, repeated fields joined
  // with ",". Unknown pseudo-headers are absent.
  std::optional<std::string_view> header(std::string_view name, std::string& scratch) const;
};

}  // namespace zmesh::route
