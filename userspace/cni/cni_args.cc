#include "cni/cni_args.h"

namespace zmesh::cni {

std::map<std::string, std::string> parse_cni_args(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    auto end = text.find(';');
    auto pair = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    out[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
  }
  return out;
}

std::optional<K8sPod> k8s_pod(const std::map<std::string, std::string>& args) {
  auto get = [&](const char* key) {
    auto it = args.find(key);
    return it == args.end() ? std::string() : it->second;
  };
  K8sPod pod{get("K8S_POD_NAMESPACE"), get("K8S_POD_NAME"), get("K8S_POD_UID")};
  if (pod.namespace_.empty() || pod.name.empty()) return std::nullopt;
  return pod;
}

}  // namespace zmesh::cni
