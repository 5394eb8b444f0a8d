#include "state/authorization_policy.h"

#include "state/policy_json.h"

namespace zmesh::state {

const char* to_string(AuthzAction action) {
  switch (action) {
    case AuthzAction::kAllow:
      return "ALLOW";
    case AuthzAction::kDeny:
      return "DENY";
    case AuthzAction::kAudit:
      return "AUDIT";
    case AuthzAction::kCustom:
      return "CUSTOM";
  }
  return "ALLOW";
}

std::optional<AuthzAction> parse_authz_action(const std::string& text) {
  for (auto a :
       {AuthzAction::kAllow, AuthzAction::kDeny, AuthzAction::kAudit, AuthzAction::kCustom}) {
    if (text == to_string(a)) return a;
  }
  return std::nullopt;
}

namespace {

nlohmann::json ip_blocks_json(const std::vector<IpBlock>& blocks) {
  auto out = nlohmann::json::array();
  for (const auto& b : blocks) out.push_back(b.to_string());
  return out;
}

nlohmann::json ports_json(const std::vector<uint16_t>& ports) {
  auto out = nlohmann::json::array();  // strings, as in the API
  for (auto p : ports) out.push_back(std::to_string(p));
  return out;
}

nlohmann::json source_json(const AuthzSource& s) {
  auto out = nlohmann::json::object();
  put_list(out, "principals", s.principals);
  put_list(out, "notPrincipals", s.not_principals);
  put_list(out, "requestPrincipals", s.request_principals);
  put_list(out, "notRequestPrincipals", s.not_request_principals);
  put_list(out, "namespaces", s.namespaces);
  put_list(out, "notNamespaces", s.not_namespaces);
  if (!s.ip_blocks.empty()) out["ipBlocks"] = ip_blocks_json(s.ip_blocks);
  if (!s.not_ip_blocks.empty()) out["notIpBlocks"] = ip_blocks_json(s.not_ip_blocks);
  if (!s.remote_ip_blocks.empty()) out["remoteIpBlocks"] = ip_blocks_json(s.remote_ip_blocks);
  if (!s.not_remote_ip_blocks.empty()) {
    out["notRemoteIpBlocks"] = ip_blocks_json(s.not_remote_ip_blocks);
  }
  put_list(out, "serviceAccounts", s.service_accounts);
  put_list(out, "notServiceAccounts", s.not_service_accounts);
  put_list(out, "trustDomains", s.trust_domains);
  put_list(out, "notTrustDomains", s.not_trust_domains);
  return out;
}

nlohmann::json operation_json(const AuthzOperation& o) {
  auto out = nlohmann::json::object();
  put_list(out, "hosts", o.hosts);
  put_list(out, "notHosts", o.not_hosts);
  if (!o.ports.empty()) out["ports"] = ports_json(o.ports);
  if (!o.not_ports.empty()) out["notPorts"] = ports_json(o.not_ports);
  put_list(out, "methods", o.methods);
  put_list(out, "notMethods", o.not_methods);
  put_list(out, "paths", o.paths);
  put_list(out, "notPaths", o.not_paths);
  return out;
}

nlohmann::json rule_json(const AuthzRule& r) {
  auto out = nlohmann::json::object();
  if (!r.from.empty()) {
    auto& from = out["from"] = nlohmann::json::array();
    for (const auto& s : r.from) from.push_back({{"source", source_json(s)}});
  }
  if (!r.to.empty()) {
    auto& to = out["to"] = nlohmann::json::array();
    for (const auto& o : r.to) to.push_back({{"operation", operation_json(o)}});
  }
  if (!r.when.empty()) {
    auto& when = out["when"] = nlohmann::json::array();
    for (const auto& c : r.when) {
      nlohmann::json cj = {{"key", c.key}};
      put_list(cj, "values", c.values);
      put_list(cj, "notValues", c.not_values);
      when.push_back(std::move(cj));
    }
  }
  return out;
}

}  // namespace

void to_json(nlohmann::json& j, const AuthorizationPolicy& object) {
  j = policy_header_json(object.meta, object.selector, object.target_ref, object.target_refs);
  j["action"] = to_string(object.action);
  if (object.provider) j["provider"] = {{"name", *object.provider}};
  auto rules = nlohmann::json::array();
  for (const auto& r : object.rules) rules.push_back(rule_json(r));
  j["rules"] = std::move(rules);
  if (object.dry_run) j["dryRun"] = true;
}

}  // namespace zmesh::state
