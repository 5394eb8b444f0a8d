#include "state/qualify_host.h"

namespace zmesh::state {

std::string qualify_host(std::string_view host, std::string_view ns) {
  if (host.find('.') != std::string_view::npos || host == "*") return std::string(host);
  return std::string(host) + "." + std::string(ns) + ".svc.cluster.local";
}

}  // namespace zmesh::state
