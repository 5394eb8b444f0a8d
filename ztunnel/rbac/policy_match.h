// One AuthorizationPolicy against one connection, at L4, with istiod's ambient conversion
// applied on the fly (pilot ambient/authorization.go handleRule, matched as ztunnel's
// rbac.rs does):
// - a rule becomes clauses that are ANDed: one for `to` (a match per operation), one for
//   `from` (a match per source), one per `when` condition; within a clause the matches
//   are ORed; within a match every field (and its not-form) must hold;
// - only L4 fields survive conversion: source principals, namespaces, serviceAccounts,
//   ipBlocks (+ not forms); operation ports/notPorts; `when` keys source.ip,
//   source.namespace, source.principal, destination.ip, destination.port. trustDomains are
//   dropped silently, as istiod does;
// - a match left with no field is skipped (never matches) and a clause made only of such
//   matches fails, so the rule fails: e.g. a DENY rule whose only `to` is {methods: [GET]}
//   enforces nothing (istiod warns), while {methods: [GET], ports: ["80"]} denies all of
//   port 80 (broader than written);
// - with kDropRule (ALLOW), a rule that names any HTTP attribute (hosts, methods, paths,
//   requestPrincipals, remoteIpBlocks, or a non-L4 `when` key, in any not-form too) is
//   dropped entirely: it matches nothing, so the policy fails closed.
#pragma once

#include "rbac/connection_view.h"
#include "state/authorization_policy.h"
#include "state/authz_policies.h"
#include "state/snapshot.h"

namespace zmesh::rbac {

enum class HttpParts {
  kDropRule,  // ALLOW: a rule with HTTP attributes is omitted
  kStrip,     // DENY (and AUDIT): HTTP attributes are removed from the rule
};

// True when a rule names an attribute ztunnel cannot see.
bool has_http_attributes(const state::AuthzRule& rule);

// Whether the policies need each request at all: a CUSTOM policy (its external authorizer is
// asked per request), or a rule with HTTP attributes (hosts, methods, paths,
// requestPrincipals, remoteIpBlocks, HTTP `when` keys) of any action. Without one, the
// connection's L4 decision says everything and the L4 path stays.
bool policies_need_http(const state::ApplicablePolicies& policies);

// Whether ztunnel decides `w`'s connections request by request on its ports that speak HTTP
// (proxy/inbound_plan): a RequestAuthentication applies to it, or its `applicable` policies
// need HTTP. There a denial is a 403 on a kept connection (so the kernel must not refuse it).
bool decided_per_request(const state::Snapshot& snapshot, const state::Workload& w,
                         const state::ApplicablePolicies& applicable);

// Whether some rule of `policy` matches. A policy without rules matches nothing.
bool policy_matches(const state::AuthorizationPolicy& policy, const ConnectionView& conn,
                    HttpParts http);

}  // namespace zmesh::rbac
