// The outbound decision, as plain data: where a connection an app opened goes and how, decided
// once from the snapshot (through the worker's routing view), the source workload and the
// original destination, the way Istio ztunnel's build_request does. The handler
// (proxy/outbound.cc) only carries it out, and the L7 path's upstream dialing
// (transport/upstream_channel.cc) uses the same rule for HBONE or plain TCP. Tested as a table
// in tests/unit/routing_outbound_plan_test.cc.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>

#include "identity/spiffe_id.h"
#include "routing/http_target.h"
#include "routing/worker_routes.h"
#include "state/snapshot.h"
#include "upstream/connection_settings.h"

namespace zmesh::routing {

// The one rule for reaching a destination: a workload in the mesh (ambient) gets mutual TLS
// (HBONE to its :15008); anything else plain TCP, as in Istio.
enum class Transport { kHbone, kTcp };
Transport transport_to(const state::Workload* destination);
// The SPIFFE identity a workload proves under `trust_domain`.
identity::SpiffeId workload_identity(const state::Workload& workload,
                                     const std::string& trust_domain);

struct OutboundFacts {
  const state::Workload* source = nullptr;  // the client pod's workload (nullptr: not known)
  boost::asio::ip::tcp::endpoint original;  // what the app dialed
  std::optional<std::string> sni;           // the ClientHello's name, when needs_sni() said so
};

struct OutboundPlan {
  enum class Action {
    kHbone,        // mutual TLS tunnel to an ambient workload (target.workload)
    kTcp,          // plain TCP to a workload or Service endpoint outside the mesh
    kPassthrough,  // plain TCP to the original destination, which the mesh does not know
    kHttp,         // the HTTP pipeline: route each request (l7/)
    kRefuse,       // nothing to connect to (`reason` says why)
  };
  Action action = Action::kRefuse;
  // Why this plan: for kRefuse the access log's error; else how the destination was picked
  // ("tcp route ns/name#tcp0", "service ns/name", "workload", "passthrough", "http").
  std::string reason;
  std::optional<state::Target> target;  // kHbone, kTcp, kPassthrough
  std::optional<L7Target> http;         // kHttp
  // The Service's DestinationRule connectionPool.tcp for the byte stream (kHbone, kTcp);
  // nullopt when no rule with tcp settings applies (no timers, Istio's defaults).
  std::optional<upstream::ConnectionSettings> settings;
  // kHbone: the identity the destination must prove (its namespace and service account).
  std::optional<identity::SpiffeId> destination_identity;
};

// Whether the Service dialed has tls[] routes: the caller reads the ClientHello's SNI first.
bool needs_sni(WorkerRoutes& routes, const std::shared_ptr<const state::Snapshot>& snapshot,
               const boost::asio::ip::tcp::endpoint& original);

// The decision. `trust_domain` names the destination's identity. Picks among endpoints with
// the worker's randomness and round-robin counter (`rr`), so the choice is the caller's state
// and nothing else.
OutboundPlan plan_outbound(WorkerRoutes& routes,
                           const std::shared_ptr<const state::Snapshot>& snapshot,
                           const OutboundFacts& facts, const std::string& trust_domain,
                           uint64_t& rr);

}  // namespace zmesh::routing
