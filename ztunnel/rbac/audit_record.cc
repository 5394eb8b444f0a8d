#include "rbac/audit_record.h"

namespace zmesh::rbac {

nlohmann::json audit_record(const AuditEvent& e, const ConnectionView& conn,
                            const RequestView* request) {
  nlohmann::json j;
  j["event"] = e.event;
  j["layer"] = e.layer;
  j["decision"] = e.allowed ? "allow" : "deny";
  if (!e.policy.empty()) j["policy"] = e.policy;
  if (!e.reason.empty()) j["reason"] = e.reason;
  j["source.ip"] = conn.src_ip.to_string();
  if (auto principal = conn.principal(); !principal.empty()) j["source.principal"] = principal;
  j["destination.ip"] = conn.dst_ip.to_string();
  j["destination.port"] = conn.dst_port;
  if (!e.destination.empty()) j["destination.workload"] = e.destination;
  if (request) {
    j["method"] = request->method;
    j["host"] = request->host;
    j["path"] = request->path;
    if (request->remote_ip) j["remote.ip"] = request->remote_ip->to_string();
    if (request->auth) j["request.principal"] = request->auth->principal;
  }
  return j;
}

std::vector<AuditEvent> audit_events(const Decision& decision, std::string_view layer,
                                     std::string_view destination) {
  std::vector<AuditEvent> out;
  for (const auto* p : decision.audited)
    out.push_back({"audit", layer, policy_key(*p), decision.allowed, decision.reason, destination});
  if (!decision.allowed)
    out.push_back({"deny", layer, decision.denied_by ? policy_key(*decision.denied_by) : "", false,
                   decision.reason, destination});
  return out;
}

}  // namespace zmesh::rbac
