// The audit log's record of one authorization event (`--audit-log`, one JSON object per line):
// who (source principal and IP, the request's principal when a JWT was verified), did what
// (method, host, path for a request; the port for a connection), to whom, what was decided and
// which policy decided or audited it. Written for every request or connection an AUDIT policy
// matches and for every DENY decision, at L4 and L7. Pure: the caller writes it off the
// request path (telemetry::AccessLog).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "rbac/authorize.h"
#include "rbac/request_view.h"

namespace zmesh::rbac {

struct AuditEvent {
  std::string_view event;  // "audit" (an AUDIT policy matched) or "deny"
  std::string_view layer;  // "l4" or "l7"
  std::string policy;      // "ns/name"; "" for a deny because no ALLOW policy matched
  bool allowed = true;     // the enforced decision for this request or connection
  std::string_view reason;
  std::string_view destination;  // the destination workload, "ns/name"
};

// `request` is null for a connection (L4).
nlohmann::json audit_record(const AuditEvent& event, const ConnectionView& conn,
                            const RequestView* request);

// The records `decision` calls for: one per matched AUDIT policy, one for a denial.
std::vector<AuditEvent> audit_events(const Decision& decision, std::string_view layer,
                                     std::string_view destination);

}  // namespace zmesh::rbac
