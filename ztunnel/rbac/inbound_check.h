// The proxy's entry into L4 authorization: the inbound paths (15006 plaintext, 15008
// HBONE) ask once per connection / CONNECT stream, on the snapshot the connection started
// with, whether the destination workload's AuthorizationPolicies admit it.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "identity/spiffe_id.h"
#include "proxy/labels.h"
#include "proxy/proxy_context.h"
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

}  // namespace zmesh::rbac
