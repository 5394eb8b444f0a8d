// security.istio.io AuthorizationPolicy (v1, v1beta1), as written.
// Every field of the API is kept, typed, whether or not the data path uses it yet.
// Lists that Istio matches with its string syntax ("abc" exact, "abc*" prefix, "*abc"
// suffix, "*" presence) are kept as written: matching is the enforcer's business.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "state/istio_common.h"
#include "state/model.h"
#include "state/security_common.h"

namespace zmesh::state {

// spec.action. Istio evaluates CUSTOM, then DENY, then ALLOW; AUDIT only marks requests.
enum class AuthzAction { kAllow, kDeny, kAudit, kCustom };

const char* to_string(AuthzAction action);                               // "ALLOW", ...
std::optional<AuthzAction> parse_authz_action(const std::string& text);  // exact enum names

// rules[].from[].source: fields are ANDed, values in one field ORed, notX = none matches.
struct AuthzSource {
  std::vector<std::string> principals;  // "cluster.local/ns/default/sa/web" (spiffe:// implied)
  std::vector<std::string> not_principals;
  std::vector<std::string> request_principals;  // JWT "iss/sub" (L7 only)
  std::vector<std::string> not_request_principals;
  std::vector<std::string> namespaces;
  std::vector<std::string> not_namespaces;
  std::vector<IpBlock> ip_blocks;  // the peer's address
  std::vector<IpBlock> not_ip_blocks;
  std::vector<IpBlock> remote_ip_blocks;  // X-Forwarded-For / PROXY protocol (L7 only)
  std::vector<IpBlock> not_remote_ip_blocks;
  std::vector<std::string> service_accounts;  // "sa" (the policy's namespace) or "ns/sa"
  std::vector<std::string> not_service_accounts;
  std::vector<std::string> trust_domains;  // in the CRD; Istio's ambient converter drops them
  std::vector<std::string> not_trust_domains;
};

// rules[].to[].operation.
struct AuthzOperation {
  std::vector<std::string> hosts;  // L7 only, case-insensitive
  std::vector<std::string> not_hosts;
  std::vector<uint16_t> ports;  // the destination (workload) port; Istio accepts 0-65535
  std::vector<uint16_t> not_ports;
  std::vector<std::string> methods;  // L7 only
  std::vector<std::string> not_methods;
  std::vector<std::string> paths;  // L7 only; may use {*} and {**} templates
  std::vector<std::string> not_paths;
};

// rules[].when[]: `key` is one of Istio's attributes (validated), with values or notValues.
struct AuthzCondition {
  std::string key;  // "source.ip", "request.headers[x-token]", ...
  std::vector<std::string> values;
  std::vector<std::string> not_values;
};

// A rule matches when some `from` matches, some `to` matches and every `when` holds; an
// empty list means "any" (validation rejects `from: []` and `to: []` as written).
struct AuthzRule {
  std::vector<AuthzSource> from;   // each the item's `source`
  std::vector<AuthzOperation> to;  // each the item's `operation`
  std::vector<AuthzCondition> when;
};

struct AuthorizationPolicy {
  ObjectMeta meta;
  // spec.selector.matchLabels; nullopt without spec.selector. Empty labels select every
  // workload of the namespace (of the mesh, in the root namespace), as no selector does.
  std::optional<Labels> selector;
  std::optional<PolicyTargetReference> target_ref;  // spec.targetRef (waypoints, gateways)
  std::vector<PolicyTargetReference> target_refs;   // spec.targetRefs
  AuthzAction action = AuthzAction::kAllow;
  // spec.provider.name, set exactly when spec.provider is (CUSTOM only).
  std::optional<std::string> provider;
  // spec.rules. No rules: an ALLOW policy matches nothing (so it denies every request on
  // the selected workloads); validation rejects DENY and CUSTOM without rules.
  std::vector<AuthzRule> rules;
  bool dry_run = false;  // metadata.annotations["istio.io/dry-run"] parses as true

  // Selects workloads by label (selector or neither), rather than by targetRef(s).
  bool selects_workloads() const { return !target_ref && target_refs.empty(); }
};

// The object as config_dump shows it: field names as in the YAML, empty fields left out.
void to_json(nlohmann::json& j, const AuthorizationPolicy& object);

}  // namespace zmesh::state
