// security.istio.io AuthorizationPolicy (v1 and v1beta1 share one schema). Validation is
// Istio's (pkg/config/validation ValidateAuthorizationPolicy, pkg/config/security) plus the
// CRD's schema, each problem at its field path (Istio reports "found at rule 0" instead).
#include <algorithm>
#include <string_view>

#include "config/kind_decoders.h"
#include "config/policy_fields.h"

namespace zmesh::config {
namespace {

using state::AuthzAction;

// Everything that makes one `when` key valid: what Istio's security.ValidateAttribute accepts.
enum class KeyValues { kAny, kIps, kPorts, kServiceAccounts };

struct KeyRule {
  std::string_view name;
  bool prefix;   // matches keys starting with `name` ...
  bool map_key;  // ... which must then have the form name[x]
  KeyValues values;
};

// Istio's supported attributes, in security.ValidateAttribute's order (prefixes first, as
// there: "request.headers" is tried before everything else).
constexpr KeyRule kKeys[] = {
    {"request.headers", true, true, KeyValues::kAny},
    {"request.experimental.inline.headers", true, true, KeyValues::kAny},
    {"source.ip", false, false, KeyValues::kIps},
    {"remote.ip", false, false, KeyValues::kIps},
    {"source.namespace", false, false, KeyValues::kAny},
    {"source.serviceAccount", false, false, KeyValues::kServiceAccounts},
    {"source.principal", false, false, KeyValues::kAny},
    {"request.auth.principal", false, false, KeyValues::kAny},
    {"request.auth.audiences", false, false, KeyValues::kAny},
    {"request.auth.presenter", false, false, KeyValues::kAny},
    {"request.auth.claims", true, true, KeyValues::kAny},
    {"destination.ip", false, false, KeyValues::kIps},
    {"destination.port", false, false, KeyValues::kPorts},
    {"connection.sni", false, false, KeyValues::kAny},
    {"experimental.envoy.filters.", true, true, KeyValues::kAny},
};

// security.validateMapKey: "a[b]" with a non-empty b.
bool is_map_key(const std::string& key) {
  auto open = key.find('[');
  return key.ends_with(']') && open != std::string::npos && open > 0 && open + 2 < key.size();
}

// The rule for `key`, or the problem with it.
std::pair<const KeyRule*, std::string> lookup_key(const std::string& key) {
  for (const auto& rule : kKeys) {
    if (rule.prefix ? key.starts_with(rule.name) : key == rule.name) {
      if (rule.map_key && !is_map_key(key)) {
        return {nullptr, "key " + quote(key) + " must have the form attribute[name], like " +
                             "request.headers[x-user]"};
      }
      return {&rule, ""};
    }
  }
  if (key == "destination.namespace") {
    return {nullptr, "key " + quote(key) + " is replaced by the policy's metadata.namespace"};
  }
  if (key.starts_with("destination.labels")) {
    return {nullptr, "key " + quote(key) + " is replaced by the workload selector"};
  }
  if (key == "destination.name" || key == "destination.user") {
    return {nullptr, "deprecated key " + quote(key) + ": only supported in v1alpha1"};
  }
  return {nullptr, "unknown key " + quote(key)};
}

// Keys a CUSTOM (ext_authz) policy cannot match on, as Istio rejects them.
bool unsupported_with_custom(const std::string& key) {
  return key == "source.namespace" || key == "source.serviceAccount" || key == "source.principal" ||
         key.starts_with("request.auth.");
}

std::string value_error(KeyValues kind, const std::string& value) {
  switch (kind) {
    case KeyValues::kAny:
      return empty_item_error(value);
    case KeyValues::kIps:
      return ip_block_error(value);
    case KeyValues::kPorts:
      if (value.empty()) return "must not be empty";
      return parse_policy_port(value) ? "" : quote(value) + " is not a port number (0-65535)";
    case KeyValues::kServiceAccounts:
      return service_account_error(value);
  }
  return "";
}

// The pchar set of RFC 3986, which Envoy's URI templates accept as a literal segment.
bool is_path_literal(std::string_view s) {
  constexpr std::string_view kExtra = "-._~%!$&'()+,;:@=";
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kExtra.find(c) != std::string_view::npos;
  });
}

// Istio's CheckValidPathTemplate: {*} and {**} as whole segments, {**} last of them, no
// other braces, and literal segments of a template path limited to pchar.
std::string path_error(const std::string& path) {
  if (path.empty()) return "must not be empty";
  const bool has_template =
      path.find("{*}") != std::string::npos || path.find("{**}") != std::string::npos;
  std::string_view rest(path);
  while (rest.starts_with('/')) rest.remove_prefix(1);
  while (rest.ends_with('/')) rest.remove_suffix(1);
  bool seen_any = false;
  while (true) {
    auto slash = rest.find('/');
    std::string_view glob = rest.substr(0, slash);
    if (glob == "{*}" || glob == "{**}") {
      if (seen_any) return quote(path) + ": {**} must be the last template in a path";
      seen_any = glob == "{**}";
    } else if (glob.find_first_of("{}") != std::string_view::npos) {
      return quote(path) + ": '{' and '}' are only allowed in the {*} and {**} templates";
    } else if (has_template && !is_path_literal(glob)) {
      return quote(path) + ": segment " + quote(std::string(glob)) +
             " is not a valid literal in a path template";
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return "";
}

std::string port_error(const std::string& value) {
  if (value.empty()) return "must not be empty";
  return parse_policy_port(value) ? "" : quote(value) + " is not a port number (0-65535)";
}

std::vector<uint16_t> read_ports(const FieldReader& field) {
  std::vector<uint16_t> out;
  for (const auto& text : read_strings(field, port_error)) {
    if (auto port = parse_policy_port(text)) out.push_back(*port);
  }
  return out;
}

std::vector<state::IpBlock> read_ip_blocks(const FieldReader& field) {
  std::vector<state::IpBlock> out;
  for (const auto& text : read_strings(field, ip_block_error)) {
    if (auto block = state::IpBlock::parse(text)) out.push_back(*block);
  }
  return out;
}

class Decoder {
 public:
  explicit Decoder(AuthzAction action) : action_(action) {}

  std::optional<state::AuthzRule> rule(const FieldReader& field) {
    if (!field.present()) {
      field.error("must be an object, got null");
      return std::nullopt;
    }
    if (!field.is_map()) return std::nullopt;
    state::AuthzRule rule;
    FieldReader from = field.field("from");
    if (from.present() && from.node().IsSequence() && from.size() == 0) {
      from.error("must not be empty (leave it out to match any source)");
    }
    if (from.size() > 512) from.error("must have at most 512 items");
    from.each([&](const FieldReader& item) {
      if (auto s = wrapped(item, "source", &Decoder::source)) rule.from.push_back(std::move(*s));
    });
    FieldReader to = field.field("to");
    if (to.present() && to.node().IsSequence() && to.size() == 0) {
      to.error("must not be empty (leave it out to match any operation)");
    }
    to.each([&](const FieldReader& item) {
      if (auto o = wrapped(item, "operation", &Decoder::operation))
        rule.to.push_back(std::move(*o));
    });
    field.field("when").each([&](const FieldReader& item) {
      if (auto c = condition(item)) rule.when.push_back(std::move(*c));
    });
    return rule;
  }

 private:
  // from[i].source / to[i].operation: the item and its one field are required objects.
  template <typename T>
  std::optional<T> wrapped(const FieldReader& item, const char* key,
                           std::optional<T> (Decoder::*decode)(const FieldReader&)) {
    if (!item.present()) {
      item.error("must be an object, got null");
      return std::nullopt;
    }
    if (!item.is_map()) return std::nullopt;
    FieldReader inner = item.field(key);
    if (!inner.present()) {
      inner.error("required");
      return std::nullopt;
    }
    if (!inner.is_map()) return std::nullopt;
    return (this->*decode)(inner);
  }

  // Records "not supported with action CUSTOM" when `field` is set on a CUSTOM policy.
  void custom_unsupported(const FieldReader& field) {
    if (action_ == AuthzAction::kCustom && field.size() > 0) {
      field.error("not supported with action CUSTOM");
    }
  }

  std::optional<state::AuthzSource> source(const FieldReader& f) {
    state::AuthzSource s;
    s.principals = read_strings(f.field("principals"), empty_item_error);
    s.not_principals = read_strings(f.field("notPrincipals"), empty_item_error);
    s.request_principals = read_strings(f.field("requestPrincipals"), empty_item_error);
    s.not_request_principals = read_strings(f.field("notRequestPrincipals"), empty_item_error);
    s.namespaces = read_strings(f.field("namespaces"), empty_item_error);
    s.not_namespaces = read_strings(f.field("notNamespaces"), empty_item_error);
    s.ip_blocks = read_ip_blocks(f.field("ipBlocks"));
    s.not_ip_blocks = read_ip_blocks(f.field("notIpBlocks"));
    s.remote_ip_blocks = read_ip_blocks(f.field("remoteIpBlocks"));
    s.not_remote_ip_blocks = read_ip_blocks(f.field("notRemoteIpBlocks"));
    s.service_accounts = read_strings(f.field("serviceAccounts"), service_account_error, 16);
    s.not_service_accounts = read_strings(f.field("notServiceAccounts"), service_account_error, 16);
    // Not in Istio's checks for empty values, so kept as written.
    s.trust_domains = read_strings(f.field("trustDomains"));
    s.not_trust_domains = read_strings(f.field("notTrustDomains"));

    for (const char* key :
         {"namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts", "principals",
          "notPrincipals", "requestPrincipals", "notRequestPrincipals"}) {
      custom_unsupported(f.field(key));
    }
    const bool identities = !s.principals.empty() || !s.not_principals.empty() ||
                            !s.namespaces.empty() || !s.not_namespaces.empty();
    if (identities && (!s.service_accounts.empty() || !s.not_service_accounts.empty())) {
      f.error("serviceAccounts cannot be set with namespaces or principals");
    }
    // Istio's "must not be empty" counts every field but the trust domains.
    const bool empty = !identities && s.request_principals.empty() &&
                       s.not_request_principals.empty() && s.ip_blocks.empty() &&
                       s.not_ip_blocks.empty() && s.remote_ip_blocks.empty() &&
                       s.not_remote_ip_blocks.empty() && s.service_accounts.empty() &&
                       s.not_service_accounts.empty();
    if (empty && !has_list_items(f)) f.error("must not be empty: set at least one field");
    return s;
  }

  // A source whose lists were all invalid was reported item by item already.
  static bool has_list_items(const FieldReader& f) {
    for (const char* key :
         {"principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces",
          "notNamespaces", "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks",
          "serviceAccounts", "notServiceAccounts"}) {
      if (f.field(key).size() > 0) return true;
    }
    return false;
  }

  std::optional<state::AuthzOperation> operation(const FieldReader& f) {
    state::AuthzOperation o;
    o.hosts = read_strings(f.field("hosts"), empty_item_error);
    o.not_hosts = read_strings(f.field("notHosts"), empty_item_error);
    o.ports = read_ports(f.field("ports"));
    o.not_ports = read_ports(f.field("notPorts"));
    o.methods = read_strings(f.field("methods"), empty_item_error);
    o.not_methods = read_strings(f.field("notMethods"), empty_item_error);
    o.paths = read_strings(f.field("paths"), path_error);
    o.not_paths = read_strings(f.field("notPaths"), path_error);
    bool any = false;
    for (const char* key :
         {"hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths"}) {
      any = any || f.field(key).size() > 0;
    }
    if (!any) f.error("must not be empty: set at least one field");
    return o;
  }

  std::optional<state::AuthzCondition> condition(const FieldReader& f) {
    if (!f.present()) {
      f.error("must be an object, got null");
      return std::nullopt;
    }
    if (!f.is_map()) return std::nullopt;
    state::AuthzCondition c;
    FieldReader key = f.field("key");
    auto key_text = key.string();
    c.key = key_text.value_or("");
    const KeyRule* rule = nullptr;
    if (!key.present()) {
      key.error("required");
    } else if (key_text && c.key.empty()) {
      key.error("must not be empty");
    } else if (key_text) {
      auto [found, problem] = lookup_key(c.key);
      rule = found;
      if (!problem.empty()) {
        key.error(problem);
      } else if (action_ == AuthzAction::kCustom && unsupported_with_custom(c.key)) {
        key.error(quote(c.key) + " is not supported with action CUSTOM");
      }
    }
    // Values are checked as the key's attribute reads them (any key: not empty).
    const KeyValues kind = rule ? rule->values : KeyValues::kAny;
    ItemCheck check = [kind](const std::string& v) { return value_error(kind, v); };
    const size_t max = kind == KeyValues::kServiceAccounts ? 16 : 0;
    FieldReader values = f.field("values");
    FieldReader not_values = f.field("notValues");
    c.values = read_strings(values, check, max);
    c.not_values = read_strings(not_values, check, max);
    if (key_text && !c.key.empty() && values.size() == 0 && not_values.size() == 0) {
      f.error("at least one of values or notValues must be set for key " + quote(c.key));
    }
    return c;
  }

  AuthzAction action_;
};

// spec.action: absent is ALLOW.
AuthzAction decode_action(const FieldReader& field) {
  auto text = field.string();
  if (!text) return AuthzAction::kAllow;
  if (auto action = state::parse_authz_action(*text)) return *action;
  field.error(quote(*text) + " is not a valid action (ALLOW, DENY, AUDIT or CUSTOM)");
  return AuthzAction::kAllow;
}

// The istio.io/dry-run annotation: a boolean, on ALLOW and DENY policies only.
bool decode_dry_run(const FieldReader& root, const state::ObjectMeta& meta, AuthzAction action) {
  auto it = meta.annotations.find(state::kDryRunAnnotation);
  if (it == meta.annotations.end()) return false;
  FieldReader field = root.field("metadata").field("annotations");
  FieldErrors& errors = field.errors();
  std::string path = field.path() + "[" + state::kDryRunAnnotation + "]";
  if (action != AuthzAction::kAllow && action != AuthzAction::kDeny) {
    errors.add(path, std::string("only supported with action ALLOW or DENY, not ") +
                         state::to_string(action));
    return false;
  }
  auto value = parse_go_bool(it->second);
  if (!value) errors.add(path, quote(it->second) + " is not a boolean (true or false)");
  return value.value_or(false);
}

}  // namespace

Object decode_authorization_policy(const FieldReader& root, state::ObjectMeta meta) {
  state::AuthorizationPolicy ap;
  ap.meta = std::move(meta);
  FieldReader spec = root.field("spec");
  spec.is_map();  // records a wrong type; absent is `spec: {}` (ALLOW nothing)

  PolicyScope scope = decode_policy_scope(spec);
  ap.selector = std::move(scope.selector);
  ap.target_ref = std::move(scope.target_ref);
  ap.target_refs = std::move(scope.target_refs);
  ap.action = decode_action(spec.field("action"));
  ap.dry_run = decode_dry_run(root, ap.meta, ap.action);

  FieldReader rules = spec.field("rules");
  const bool has_rules = rules.size() > 0;  // `rules: []` is no rules, as in Istio's protos
  if (rules.size() > 512) rules.error("must have at most 512 items");
  Decoder decoder(ap.action);
  rules.each([&](const FieldReader& item) {
    if (auto rule = decoder.rule(item)) ap.rules.push_back(std::move(*rule));
  });

  FieldReader provider = spec.field("provider");
  if (provider.is_map()) {
    ap.provider = provider.field("name").string().value_or("");
    if (ap.action != AuthzAction::kCustom) {
      provider.error(std::string("only allowed with action CUSTOM, not ") +
                     state::to_string(ap.action));
    }
  }
  if (ap.action == AuthzAction::kCustom) {
    if (!has_rules) {
      rules.error(
          "required with action CUSTOM: a policy without rules is never triggered (add an "
          "empty rule {} to trigger it for every request)");
    } else if (!ap.provider || ap.provider->empty()) {
      provider.field("name").error("required with action CUSTOM");
    }
  }
  if (ap.action == AuthzAction::kDeny && !has_rules) {
    rules.error(
        "required with action DENY: a policy without rules never matches (add an empty rule "
        "{} to deny every request)");
  }
  return ap;
}

}  // namespace zmesh::config
