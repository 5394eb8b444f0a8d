#include "mesh_views.h"

#include <utility>
#include <vector>

#include "table.h"

namespace zmesh::zmeshctl {
namespace {

using nlohmann::json;

// config_dump key -> the kind shown.
const std::vector<std::pair<const char*, const char*>> kPolicyKinds = {
    {"peerAuthentications", "PeerAuthentication"},
    {"authorizationPolicies", "AuthorizationPolicy"},
    {"requestAuthentications", "RequestAuthentication"},
    {"virtualServices", "VirtualService"},
    {"destinationRules", "DestinationRule"},
};

std::string text(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  const json& v = j[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// ["a", "b"] -> "a,b"; anything else as JSON.
std::string joined(const json& j) {
  if (!j.is_array()) return j.is_null() ? "" : j.dump();
  std::string out;
  for (const auto& item : j) {
    if (!out.empty()) out += ",";
    out += item.is_string() ? item.get<std::string>() : item.dump();
  }
  return out;
}

std::string field_list(const json& j, const char* key) {
  return j.is_object() && j.contains(key) ? joined(j[key]) : "";
}

// What a policy does, in one short phrase.
std::string summary(const std::string& kind, const json& p) {
  if (kind == "PeerAuthentication") {
    std::string s = "mtls " + text(p, "mode");
    if (p.contains("portLevel") && !p["portLevel"].empty()) s += " ports " + p["portLevel"].dump();
    return s;
  }
  if (kind == "AuthorizationPolicy") {
    std::string action = text(p, "action");
    return (action.empty() ? "ALLOW" : action) + ", " +
           std::to_string(p.contains("rules") ? p["rules"].size() : 0) + " rule(s)";
  }
  if (kind == "RequestAuthentication")
    return std::to_string(p.contains("jwtRules") ? p["jwtRules"].size() : 0) + " JWT rule(s)";
  if (kind == "VirtualService") return "hosts " + field_list(p, "hosts");
  if (kind == "DestinationRule") return "host " + text(p, "host");
  return "";
}

std::string selector_of(const json& p) {
  for (const char* key : {"selector", "workloadSelector"}) {
    if (!p.contains(key) || p[key].is_null()) continue;
    const json& s = p[key].contains("matchLabels") ? p[key]["matchLabels"] : p[key];
    if (!s.is_object()) continue;
    std::string out;
    for (const auto& [k, v] : s.items()) {
      if (!out.empty()) out += ",";
      out += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    return out;
  }
  return "";
}

}  // namespace

std::string render_workloads(const json& workloads) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& w : workloads) {
    rows.push_back({text(w, "namespace"), text(w, "name"), text(w, "node"), field_list(w, "ips"),
                    text(w, "ambient") == "true" ? "ambient" : "-",
                    text(w, "ready") == "true" ? "yes" : "no", text(w, "identity")});
  }
  return render_table({"NAMESPACE", "NAME", "NODE", "IPS", "MESH", "READY", "IDENTITY"}, rows);
}

std::string render_services(const json& services) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : services) {
    std::string ports;
    for (const auto& p : s.value("ports", json::array())) {
      if (!ports.empty()) ports += ",";
      ports += text(p, "port") + "->" + text(p, "targetPort") + "/" + text(p, "protocol");
    }
    rows.push_back({text(s, "namespace"), text(s, "name"), field_list(s, "vips"), ports,
                    std::to_string(s.value("endpoints", json::array()).size()),
                    text(s, "hostname")});
  }
  return render_table({"NAMESPACE", "NAME", "VIPS", "PORTS", "ENDPOINTS", "HOST"}, rows);
}

json policies_of(const json& config) {
  json out = json::object();
  for (const auto& [key, kind] : kPolicyKinds)
    out[key] = config.contains(key) ? config[key] : json::array();
  return out;
}

std::string render_policies(const json& policies) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, kind] : kPolicyKinds) {
    if (!policies.contains(key)) continue;
    for (const auto& p : policies[key]) {
      std::string selector = selector_of(p);
      rows.push_back({kind, text(p, "namespace"), text(p, "name"),
                      selector.empty() ? "-" : selector, summary(kind, p)});
    }
  }
  return render_table({"KIND", "NAMESPACE", "NAME", "SELECTOR", "SUMMARY"}, rows);
}

}  // namespace zmesh::zmeshctl
