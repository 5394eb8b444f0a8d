// Cluster-mode authorization: a node may obtain only the identities of workloads scheduled
// on it, as its config view (the current Snapshot) says. Pure; the CA server calls it per
// request with the node name taken from the client certificate's CN.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "identity/spiffe_id.h"
#include "state/snapshot.h"

namespace zmesh::ca {

// Ok when some workload in `snapshot` runs on `node` in the identity's namespace with its
// service account, and the identity is in `trust_domain`; otherwise the refusal, e.g.
// "node n1 may not obtain spiffe://cluster.local/ns/a/sa/b: no workload of it is scheduled
// there". Readiness and ambient enrollment do not matter: a starting pod needs its
// certificate before it is ready.
Result<void> authorize_node(const state::Snapshot& snapshot, std::string_view node,
                            const identity::SpiffeId& requested, std::string_view trust_domain);

}  // namespace zmesh::ca
