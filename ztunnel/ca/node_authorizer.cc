#include "ca/node_authorizer.h"

namespace zmesh::ca {

Result<void> authorize_node(const state::Snapshot& snapshot, std::string_view node,
                            const identity::SpiffeId& requested, std::string_view trust_domain) {
  auto refuse = [&](const std::string& why) {
    return make_error("node " + std::string(node) + " may not obtain " + requested.uri() + ": " +
                      why);
  };
  if (node.empty()) return refuse("the client certificate names no node");
  if (requested.trust_domain != trust_domain)
    return refuse("trust domain " + requested.trust_domain + " is not " +
                  std::string(trust_domain));
  for (const auto& w : snapshot.workloads()) {
    if (w->node == node && w->namespace_ == requested.namespace_ &&
        w->service_account == requested.service_account)
      return ok();
  }
  return refuse("no workload of it is scheduled there");
}

}  // namespace zmesh::ca
