#include "routing/outbound_plan.h"

#include "common/endpoint_text.h"
#include "routing/tcp_routing.h"
#include "upstream/effective_policy.h"

namespace zmesh::routing {
namespace {

// The connectionPool.tcp settings of the DestinationRule for a Service's byte stream (the
// port's, if it has portLevelSettings); nullopt when no rule with tcp settings applies, so a
// connection without one pays a map lookup and nothing else.
std::optional<upstream::ConnectionSettings> tcp_settings(const L7Config& config,
                                                         const state::Workload* source,
                                                         const state::ServiceInfo& service,
                                                         uint16_t port) {
  const auto* rule = config.rule_for(service.hostname, source);
  if (!rule) return std::nullopt;
  auto policy = upstream::effective_policy(rule, "", port);
  if (!policy || !policy->traffic_policy.connection_pool ||
      !policy->traffic_policy.connection_pool->tcp)
    return std::nullopt;
  return upstream::connection_settings(policy->traffic_policy.connection_pool);
}

OutboundPlan refuse(std::string reason) {
  OutboundPlan plan;
  plan.action = OutboundPlan::Action::kRefuse;
  plan.reason = std::move(reason);
  return plan;
}

}  // namespace

Transport transport_to(const state::Workload* destination) {
  return destination && destination->ambient ? Transport::kHbone : Transport::kTcp;
}

identity::SpiffeId workload_identity(const state::Workload& workload,
                                     const std::string& trust_domain) {
  return identity::SpiffeId{trust_domain, workload.namespace_, workload.service_account};
}

bool needs_sni(WorkerRoutes& routes, const std::shared_ptr<const state::Snapshot>& snapshot,
               const boost::asio::ip::tcp::endpoint& original) {
  return tls_routes_apply(routes, snapshot, original);
}

OutboundPlan plan_outbound(WorkerRoutes& routes,
                           const std::shared_ptr<const state::Snapshot>& snapshot,
                           const OutboundFacts& facts, const std::string& trust_domain,
                           uint64_t& rr) {
  using Action = OutboundPlan::Action;
  // A VirtualService tcp[] / tls[] route picks the destination of a byte stream; else a Service
  // port that speaks HTTP (or has VirtualService http routes) is routed request by request;
  // everything else stays a byte stream to the Service or pod dialed.
  std::optional<state::Target> target;
  std::string how;
  if (auto routed = route_tcp(routes, snapshot, facts.source, facts.original, facts.sni)) {
    if (!routed->target) return refuse(routed->error);
    target = std::move(routed->target);
    how = "tcp route " + routed->route;
  } else if (auto http = http_target(*config_for(routes, snapshot), facts.original)) {
    OutboundPlan plan;
    plan.action = Action::kHttp;
    plan.reason = "http";
    plan.http = std::move(*http);
    return plan;
  } else {
    target = snapshot->resolve(facts.original, rr);
    if (!target) return refuse("no healthy upstream for " + endpoint_text(facts.original));
    how = target->service ? "service " + target->service->namespace_ + "/" + target->service->name
          : target->workload ? std::string("workload")
                             : std::string("passthrough");
  }

  OutboundPlan plan;
  plan.reason = std::move(how);
  if (target->service)
    plan.settings = tcp_settings(*config_for(routes, snapshot), facts.source, *target->service,
                                 facts.original.port());
  if (transport_to(target->workload.get()) == Transport::kHbone) {
    plan.action = Action::kHbone;
    plan.destination_identity = workload_identity(*target->workload, trust_domain);
  } else {
    plan.action = target->workload || target->service ? Action::kTcp : Action::kPassthrough;
  }
  plan.target = std::move(target);
  return plan;
}

}  // namespace zmesh::routing
