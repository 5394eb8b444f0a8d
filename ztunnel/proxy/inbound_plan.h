// The inbound decision, as plain data: for a connection that reached one of a pod's inbound
// listeners (15006 plaintext, 15008 HBONE CONNECT), what the handler does with it. A pure
// function of the snapshot and the connection's facts, so it is tested as a table
// (tests/unit/proxy_inbound_plan_test.cc); the handlers (inbound.cc, inbound_hbone.cc) do the
// I/O it asks for.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>

#include "identity/spiffe_id.h"
#include "rbac/authorize.h"
#include "rbac/connection_view.h"
#include "routing/l7_config.h"
#include "state/snapshot.h"

namespace zmesh::proxy {

enum class InboundListener {
  kPlaintext,  // 15006: the local address is the original destination
  kHbone,      // 15008: the CONNECT authority is the destination, the peer proved `peer`
};

struct InboundFacts {
  InboundListener listener = InboundListener::kPlaintext;
  std::string pod_uid;              // "ns/name" of the pod whose listener took it
  boost::asio::ip::address pod_ip;  // that pod's address
  boost::asio::ip::tcp::endpoint src, dst;
  const identity::SpiffeId* peer = nullptr;  // HBONE's proven client identity
  // The routing view of the same snapshot (which ports speak HTTP); nullptr: the L4 path only.
  const routing::L7Config* config = nullptr;
};

struct InboundPlan {
  enum class Action {
    kRelay,         // dial the app inside the pod and relay (the L4 pipeline)
    kHttp,          // the inbound HTTP pipeline decides each request (l7/inbound_http.h)
    kRefuseSelf,    // a mesh port or loopback as destination: never deliver to ztunnel itself
    kRefuseStrict,  // plaintext to a STRICT PeerAuthentication workload port
    kDeny,          // an AuthorizationPolicy denies it (counted with response_flags DENY)
  };
  Action action = Action::kRelay;
  std::string reason;  // the access log's error for a refusal
  // How the refusal is said: the CONNECT's status on HBONE; on plaintext a reset (true) or
  // a plain close.
  int hbone_status = 200;
  bool reset = false;
  // Who is talking to whom, for the labels and the access log.
  const state::Workload* source = nullptr;       // by the peer's address
  const state::Workload* destination = nullptr;  // the pod's workload (nullptr: unknown yet)
  const state::ServiceInfo* service = nullptr;   // the destination's Service for dst port
  rbac::ConnectionView view;                     // what authorization saw
  std::optional<rbac::Decision> authorization;   // nullopt: no policy applies
};

// kHttp instead of an L4 verdict when the destination's policies need the request (HTTP
// attributes, CUSTOM) and its port speaks HTTP: each request is then decided on its own, so a
// connection is not refused for what only a request can tell. STRICT and self-calls are
// still refused per connection.
// Note: an AuthorizationPolicy's AUDIT and dry-run matches are logged by rbac::authorize as
// it decides.
InboundPlan plan_inbound(const state::Snapshot& snapshot, const InboundFacts& facts);

}  // namespace zmesh::proxy
