// One AuthorizationPolicy against one HTTP request, with Istio's full semantics (what a
// sidecar or waypoint enforces; nothing stripped or dropped): a rule matches when some `from`
// source matches, some `to` operation matches and every `when` condition holds; fields of a
// source or operation are ANDed, values of a field ORed, notX = no value matches. Unlike the
// L4 conversion (policy_match.h), every field counts:
//   operation  hosts (case-insensitive; "host" also matches "host:port"), ports, methods,
//              paths (request_path.h: templates, Istio string syntax, on the normalised path)
//   source     principals, requestPrincipals ("iss/sub"), namespaces, serviceAccounts,
//              ipBlocks (the peer), remoteIpBlocks (the original client)
//   when       request.headers[h], source.ip, remote.ip, source.namespace, source.principal,
//              request.auth.principal/audiences/presenter, request.auth.claims[a][b]...,
//              destination.ip, destination.port, connection.sni
// A `when` key Istio does not know makes the rule never match (istiod skips such a rule).
#pragma once

#include <optional>

#include "rbac/request_view.h"
#include "state/authorization_policy.h"

namespace zmesh::rbac {

bool request_rule_matches(const state::AuthzRule& rule, const std::string& policy_namespace,
                          const RequestView& request);

// Some rule matches; a policy without rules matches nothing.
bool request_policy_matches(const state::AuthorizationPolicy& policy, const RequestView& request);
// The index of the first rule that matches.
std::optional<size_t> matching_rule(const state::AuthorizationPolicy& policy,
                                    const RequestView& request);

// The values of a claim path "a" or "a][b" of request.auth.claims[a][b]: a string, each string
// of a list, a number or bool as text; nothing for objects or absent claims.
std::vector<std::string> claim_values(const nlohmann::json& claims, std::string_view path);

}  // namespace zmesh::rbac
