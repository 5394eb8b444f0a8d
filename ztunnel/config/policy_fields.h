// Fields shared by the security.istio.io policies (AuthorizationPolicy and
// RequestAuthentication): spec.selector / targetRef / targetRefs, string lists, and the
// values Istio checks in several places (IPs, ports, service accounts).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/field_reader.h"
#include "state/istio_common.h"
#include "state/security_common.h"

namespace zmesh::config {

struct PolicyScope {
  std::optional<state::Labels> selector;
  std::optional<state::PolicyTargetReference> target_ref;
  std::vector<state::PolicyTargetReference> target_refs;
};

// spec.selector.matchLabels, spec.targetRef and spec.targetRefs, as Istio validates them
// (validateOneOfSelectorType, validateWorkloadSelector, validatePolicyTargetReference):
// at most one of the three; a reference names a Service, ServiceEntry, Gateway or
// GatewayClass in the policy's own namespace.
PolicyScope decode_policy_scope(const FieldReader& spec);

// A problem with one list item ("" when fine).
using ItemCheck = std::function<std::string(const std::string&)>;

// The strings of a list. Null and non-string items are recorded at "path[i]", as is what
// `check` (optional) finds; `max_items` (0: no limit) is the CRD's maxItems.
std::vector<std::string> read_strings(const FieldReader& field, const ItemCheck& check = {},
                                      size_t max_items = 0);

// "must not be empty" for "", as Istio's CheckEmptyValues.
std::string empty_item_error(const std::string& value);

// An IP address or CIDR range (security.ValidateIPs); "" when valid.
std::string ip_block_error(const std::string& value);

// A port as Istio's security.ValidatePorts reads it: decimal, 0-65535.
std::optional<uint16_t> parse_policy_port(const std::string& value);

// A source service account, "sa" or "ns/sa" (security.CheckServiceAccount).
std::string service_account_error(const std::string& value);

// Go's strconv.ParseBool (the istio.io/dry-run annotation).
std::optional<bool> parse_go_bool(const std::string& value);

}  // namespace zmesh::config
