// The CNI_ARGS environment variable ("K=V;K2=V2") and the Kubernetes pod it names
// (K8S_POD_NAMESPACE, K8S_POD_NAME, ...), as containerd and CRI-O pass them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace zmesh::cni {

// Pairs without '=' and empty keys are skipped; a repeated key keeps its last value.
std::map<std::string, std::string> parse_cni_args(std::string_view text);

struct K8sPod {
  std::string namespace_;
  std::string name;
  std::string uid;  // K8S_POD_UID (containerd sends it; optional)
  std::string key() const { return namespace_ + "/" + name; }
};

// Both K8S_POD_NAMESPACE and K8S_POD_NAME present and non-empty, else nullopt (not a
// Kubernetes pod: a chained plugin then passes the result through untouched).
std::optional<K8sPod> k8s_pod(const std::map<std::string, std::string>& args);

}  // namespace zmesh::cni
