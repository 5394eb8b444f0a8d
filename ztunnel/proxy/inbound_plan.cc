#include "proxy/inbound_plan.h"

#include "bpf/zmesh.h"
#include "common/endpoint_text.h"
#include "rbac/inbound_decision.h"
#include "rbac/policy_match.h"
#include "routing/http_target.h"

namespace zmesh::proxy {
namespace {

bool is_mesh_port(uint16_t port) {
  return port == ZMESH_PORT_OUTBOUND || port == ZMESH_PORT_INBOUND_PLAIN ||
         port == ZMESH_PORT_INBOUND_HBONE;
}

InboundPlan refuse(InboundPlan plan, InboundPlan::Action action, std::string reason, int status,
                   bool reset) {
  plan.action = action;
  plan.reason = std::move(reason);
  plan.hbone_status = status;
  plan.reset = reset;
  return plan;
}

bool needs_requests(const state::Snapshot& snapshot, const state::Workload& w, uint16_t port) {
  const auto& authz = snapshot.authz_policies();
  return rbac::decided_per_request(
      snapshot, w,
      authz.empty() ? state::ApplicablePolicies{} : snapshot.authz_policies_for(w, port));
}

}  // namespace

InboundPlan plan_inbound(const state::Snapshot& snapshot, const InboundFacts& facts) {
  using Action = InboundPlan::Action;
  const bool hbone = facts.listener == InboundListener::kHbone;
  InboundPlan plan;
  plan.source = snapshot.workload_by_ip(facts.src.address()).get();
  plan.destination = snapshot.workload_by_uid(facts.pod_uid).get();
  if (plan.destination)
    plan.service = snapshot.service_for_port(*plan.destination, facts.dst.port());
  plan.view = rbac::connection_view(facts.src, facts.dst, hbone ? facts.peer : nullptr);

  // Never deliver to ztunnel itself: a tunnel may only lead into this pod's app ports; a
  // plaintext connection to loopback or a mesh port would loop back into us.
  if (hbone) {
    if (facts.dst.address() != facts.pod_ip || is_mesh_port(facts.dst.port()))
      return refuse(std::move(plan), Action::kRefuseSelf,
                    "CONNECT to " + endpoint_text(facts.dst) + " is not an app port of this pod",
                    400, false);
  } else if (facts.dst.address().is_loopback() || is_mesh_port(facts.dst.port())) {
    return refuse(std::move(plan), Action::kRefuseSelf,
                  "refused self call to " + endpoint_text(facts.dst), 400, false);
  }
  // STRICT mTLS for this workload and port: plaintext is reset.
  if (!hbone && plan.destination &&
      snapshot.mtls_mode(*plan.destination, facts.dst.port()) == state::MtlsMode::kStrict)
    return refuse(std::move(plan), Action::kRefuseStrict,
                  "plaintext refused: PeerAuthentication STRICT", 400, true);
  // AuthorizationPolicy on requests, RequestAuthentication: the HTTP pipeline decides each one.
  if (plan.destination && facts.config &&
      needs_requests(snapshot, *plan.destination, facts.dst.port()) &&
      routing::inbound_speaks_http(*facts.config, *plan.destination, facts.dst.port())) {
    plan.action = Action::kHttp;
    return plan;
  }
  // AuthorizationPolicy (L4): a denied connection never reaches the app.
  if (plan.destination) {
    plan.authorization = rbac::authorize_inbound(snapshot, *plan.destination, plan.view);
    if (plan.authorization && !plan.authorization->allowed) {
      auto reason = "policy rejection: " + plan.authorization->reason;
      return refuse(std::move(plan), Action::kDeny, std::move(reason), 401, true);
    }
  }
  return plan;
}

}  // namespace zmesh::proxy
