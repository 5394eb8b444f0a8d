// The proxy's entry into L4 authorization: the inbound paths (15006 plaintext, 15008
// HBONE) ask once per connection / CONNECT stream, on the snapshot the connection started
// with, whether the destination workload's AuthorizationPolicies admit it.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>

#include "identity/spiffe_id.h"
#include "proxy/labels.h"
#include "proxy/proxy_context.h"
#include "rbac/connection_view.h"
#include "state/snapshot.h"

namespace zmesh::rbac {

// True when the connection may reach the app. When it may not: the denial is written to
// the access log (error "policy rejection: <reason>") and counted in the TCP metrics with
// response_flags "DENY" (opened and closed, no bytes); the caller then refuses it (401 on
// HBONE, a reset on plaintext). `source` is the peer's proven identity (nullptr: plaintext).
bool admit_inbound(proxy::ProxyContext& ctx, proxy::WorkerState& worker,
                   const state::Snapshot& snapshot, const proxy::ConnectionPeers& peers,
                   const boost::asio::ip::tcp::endpoint& src,
                   const boost::asio::ip::tcp::endpoint& dst, const identity::SpiffeId* source);

// The view of a connection from `src` to `dst` with `source` proven by mTLS (nullptr:
// plaintext), as authorization sees it.
ConnectionView connection_view(const boost::asio::ip::tcp::endpoint& src,
                               const boost::asio::ip::tcp::endpoint& dst,
                               const identity::SpiffeId* source);

// For a connection already open to `destination` (`view`: its addresses and proven source,
// nullopt for plaintext) when the policies change: why `snapshot` no longer admits it
// (PeerAuthentication STRICT for plaintext, or an AuthorizationPolicy denial), nullopt when
// it still does. No counting or logging: the caller closes it and reports that.
std::optional<std::string> recheck_denial(const state::Snapshot& snapshot,
                                          const state::Workload& destination,
                                          const ConnectionView& view);

}  // namespace zmesh::rbac
