#include "rbac/http_policy_match.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "rbac/field_match.h"
#include "rbac/istio_string_match.h"
#include "rbac/request_path.h"

namespace zmesh::rbac {
namespace {

using state::AuthzCondition;
using state::AuthzOperation;
using state::AuthzSource;
using state::IpBlock;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "example.com" matches the authority "example.com" and "example.com:8080", any case.
bool host_matches(const std::string& pattern, std::string_view authority) {
  std::string p = lower(pattern), a = lower(authority);
  if (istio_string_matches(p, a)) return true;
  auto colon = a.rfind(':');
  if (colon == std::string::npos || a.find(']', colon) != std::string::npos) return false;
  return istio_string_matches(p, std::string_view(a).substr(0, colon));
}

bool source_matches(const AuthzSource& s, const std::string& policy_ns, const RequestView& r,
                    const std::string& principal) {
  const std::string ns = r.conn.source_namespace();
  const std::string request_principal = r.auth ? r.auth->principal : std::string();
  auto by_principal = [&](const std::string& p) { return istio_principal_matches(p, principal); };
  auto by_request_principal = [&](const std::string& p) {
    return istio_principal_matches(p, request_principal);
  };
  auto by_namespace = [&](const std::string& p) { return istio_string_matches(p, ns); };
  auto by_sa = [&](const std::string& e) { return service_account_matches(e, policy_ns, r.conn); };
  auto by_ip = [&](const IpBlock& b) { return b.contains(r.conn.src_ip); };
  auto by_remote_ip = [&](const IpBlock& b) { return b.contains(r.client_ip()); };
  return field_holds(s.principals, s.not_principals, by_principal) &&
         field_holds(s.request_principals, s.not_request_principals, by_request_principal) &&
         field_holds(s.namespaces, s.not_namespaces, by_namespace) &&
         field_holds(s.service_accounts, s.not_service_accounts, by_sa) &&
         field_holds(s.ip_blocks, s.not_ip_blocks, by_ip) &&
         field_holds(s.remote_ip_blocks, s.not_remote_ip_blocks, by_remote_ip);
}

bool operation_matches(const AuthzOperation& op, const RequestView& r) {
  auto by_host = [&](const std::string& h) { return host_matches(h, r.host); };
  auto by_port = [&](uint16_t p) { return p == r.conn.dst_port; };
  auto by_method = [&](const std::string& m) { return istio_string_matches(m, r.method); };
  auto by_path = [&](const std::string& p) { return path_matches(p, r.path); };
  return field_holds(op.hosts, op.not_hosts, by_host) &&
         field_holds(op.ports, op.not_ports, by_port) &&
         field_holds(op.methods, op.not_methods, by_method) &&
         field_holds(op.paths, op.not_paths, by_path);
}

// The text between "prefix[" and the final "]", or nullopt.
std::optional<std::string_view> bracketed(std::string_view key, std::string_view prefix) {
  if (!key.starts_with(prefix) || !key.ends_with(']') || key.size() <= prefix.size() + 1)
    return std::nullopt;
  return key.substr(prefix.size(), key.size() - prefix.size() - 1);
}

bool ip_value_matches(const std::string& value, const state::IpAddress& ip) {
  auto block = IpBlock::parse(value);
  return block && block->contains(ip);
}

// What a `when` key reads from the request: the candidate strings a value is matched
// against (any may match), or, for address and port keys, a direct test. nullopt: a key
// Istio does not know (the rule never matches).
struct Subject {
  std::vector<std::string> strings;              // matched with Istio's string syntax
  std::function<bool(const std::string&)> test;  // set for ip and port keys
};

std::optional<Subject> subject_of(const std::string& key, const RequestView& r,
                                  const std::string& principal) {
  Subject s;
  auto one = [&](std::string v) {
    if (!v.empty()) s.strings.push_back(std::move(v));
    return s;
  };
  if (auto name = bracketed(key, "request.headers[")) {
    auto values = r.headers ? r.headers(lower(*name)) : std::vector<std::string_view>{};
    if (values.empty()) return s;
    std::string joined;  // Envoy matches all values of a header joined with ","
    for (auto v : values) joined += (joined.empty() ? "" : ",") + std::string(v);
    s.strings.push_back(std::move(joined));
    return s;
  }
  if (auto path = bracketed(key, "request.auth.claims[")) {
    if (r.auth) s.strings = claim_values(r.auth->claims, *path);
    return s;
  }
  if (key == "source.ip" || key == "remote.ip" || key == "destination.ip") {
    const auto& ip = key == "source.ip"   ? r.conn.src_ip
                     : key == "remote.ip" ? r.client_ip()
                                          : r.conn.dst_ip;
    s.test = [ip](const std::string& v) { return ip_value_matches(v, ip); };
    return s;
  }
  if (key == "destination.port") {
    uint16_t port = r.conn.dst_port;
    s.test = [port](const std::string& v) {
      unsigned p = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
      return ec == std::errc() && end == v.data() + v.size() && p == port;
    };
    return s;
  }
  if (key == "source.namespace") return one(r.conn.source_namespace());
  if (key == "source.principal") return one(principal);
  if (key == "connection.sni") return one(std::string(r.sni));
  if (key == "request.auth.principal") return one(r.auth ? r.auth->principal : "");
  if (key == "request.auth.presenter") return one(r.auth ? r.auth->presenter : "");
  if (key == "request.auth.audiences") {
    if (r.auth)
      for (const auto& a : r.auth->audiences)
        if (!a.empty()) s.strings.push_back(a);
    return s;
  }
  return std::nullopt;
}

bool condition_matches(const AuthzCondition& c, const RequestView& r,
                       const std::string& principal) {
  auto subject = subject_of(c.key, r, principal);
  if (!subject) return false;
  auto hit = [&](const std::string& v) {
    if (subject->test) return subject->test(v);
    return std::any_of(subject->strings.begin(), subject->strings.end(),
                       [&](const std::string& s) { return istio_string_matches(v, s); });
  };
  return field_holds(c.values, c.not_values, hit);
}

}  // namespace

std::vector<std::string> claim_values(const nlohmann::json& claims, std::string_view path) {
  const nlohmann::json* node = &claims;
  while (true) {
    auto sep = path.find("][");
    std::string name(path.substr(0, sep));
    if (!node->is_object() || !node->contains(name)) return {};
    node = &(*node)[name];
    if (sep == std::string_view::npos) break;
    path.remove_prefix(sep + 2);
  }
  std::vector<std::string> out;
  auto text = [](const nlohmann::json& v) -> std::optional<std::string> {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean() || v.is_number()) return v.dump();
    return std::nullopt;
  };
  if (node->is_array()) {
    for (const auto& v : *node)
      if (auto t = text(v)) out.push_back(*t);
  } else if (auto t = text(*node)) {
    out.push_back(*t);
  }
  return out;
}

bool request_rule_matches(const state::AuthzRule& rule, const std::string& policy_namespace,
                          const RequestView& r) {
  const std::string principal = r.conn.principal();
  if (!rule.to.empty() && std::none_of(rule.to.begin(), rule.to.end(),
                                       [&](const auto& op) { return operation_matches(op, r); }))
    return false;
  if (!rule.from.empty() && std::none_of(rule.from.begin(), rule.from.end(), [&](const auto& s) {
        return source_matches(s, policy_namespace, r, principal);
      }))
    return false;
  return std::all_of(rule.when.begin(), rule.when.end(),
                     [&](const AuthzCondition& c) { return condition_matches(c, r, principal); });
}

std::optional<size_t> matching_rule(const state::AuthorizationPolicy& policy,
                                    const RequestView& r) {
  for (size_t i = 0; i < policy.rules.size(); ++i)
    if (request_rule_matches(policy.rules[i], policy.meta.namespace_, r)) return i;
  return std::nullopt;
}

bool request_policy_matches(const state::AuthorizationPolicy& policy, const RequestView& r) {
  return matching_rule(policy, r).has_value();
}

}  // namespace zmesh::rbac
