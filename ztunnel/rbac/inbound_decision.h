// The policy side of the inbound decision, over one snapshot and nothing else: the view of a
// connection that authorization sees, the L4 AuthorizationPolicy verdict for a new connection,
// and why an open connection is no longer admitted after a policy change.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>

#include "identity/spiffe_id.h"
#include "rbac/authorize.h"
#include "rbac/connection_view.h"
#include "state/snapshot.h"

namespace zmesh::rbac {

// The view of a connection from `src` to `dst` with `source` proven by mTLS (nullptr:
// plaintext), as authorization sees it (IPv4-mapped addresses written as IPv4).
ConnectionView connection_view(const boost::asio::ip::tcp::endpoint& src,
                               const boost::asio::ip::tcp::endpoint& dst,
                               const identity::SpiffeId* source);

// authorize() over `destination`'s applicable policies; nullopt when none applies (allowed,
// nothing to count or audit).
std::optional<Decision> authorize_inbound(const state::Snapshot& snapshot,
                                          const state::Workload& destination,
                                          const ConnectionView& view);

// For a connection already open to `destination` (`view`: its addresses and proven source,
// nullopt for plaintext) when the policies change: why `snapshot` no longer admits it
// (PeerAuthentication STRICT for plaintext, or an AuthorizationPolicy denial), nullopt when
// it still does. No counting or logging: the caller closes it and reports that.
std::optional<std::string> recheck_denial(const state::Snapshot& snapshot,
                                          const state::Workload& destination,
                                          const ConnectionView& view);

}  // namespace zmesh::rbac
