#include "cni/cni_result.h"

#include <algorithm>

namespace zmesh::cni {

using nlohmann::json;

const std::vector<std::string>& supported_versions() {
  static const std::vector<std::string> versions{"0.3.0", "0.3.1", "0.4.0", "1.0.0"};
  return versions;
}

bool supports_version(const std::string& version) {
  const auto& v = supported_versions();
  return std::find(v.begin(), v.end(), version) != v.end();
}

json version_reply(const std::string& request_version) {
  return {{"cniVersion", request_version.empty() ? "1.0.0" : request_version},
          {"supportedVersions", supported_versions()}};
}

json error_object(const std::string& cni_version, int code, const std::string& msg,
                  const std::string& details) {
  json e{{"cniVersion", cni_version.empty() ? "1.0.0" : cni_version}, {"code", code}, {"msg", msg}};
  if (!details.empty()) e["details"] = details;
  return e;
}

std::vector<std::string> pod_ips(const json& prev, const std::string& netns) {
  std::vector<std::string> out;
  if (!prev.is_object() || !prev.contains("ips") || !prev["ips"].is_array()) return out;
  const json* interfaces =
      prev.contains("interfaces") && prev["interfaces"].is_array() ? &prev["interfaces"] : nullptr;
  for (const auto& ip : prev["ips"]) {
    if (!ip.is_object() || !ip.contains("address") || !ip["address"].is_string()) continue;
    if (ip.contains("interface") && ip["interface"].is_number_unsigned() && interfaces) {
      auto index = ip["interface"].get<size_t>();
      if (index >= interfaces->size()) continue;
      const auto& itf = (*interfaces)[index];
      if (!itf.is_object() || itf.value("sandbox", "") != netns) continue;
    }
    std::string address = ip["address"];
    out.push_back(address.substr(0, address.find('/')));
  }
  return out;
}

}  // namespace zmesh::cni
