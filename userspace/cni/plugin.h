// zmesh-cni's CNI commands as a function of the environment, the stdin configuration and a
// Host (the daemon call, files, clock), so every decision is testable as a table.
//
//   ADD    prints prevResult unchanged; tells the node's ztunnel about a Kubernetes pod's
//          sandbox (cni_add with the netns fd). Fails (kubelet retries) only for a mesh pod:
//          ztunnel refused or could not enroll it, or is unreachable while the pod's
//          namespace is ambient (<runDir>/cni-namespaces.json), or never learned of the pod
//          within podWaitMs. Pods outside the mesh always pass.
//   DEL    cni_del; always succeeds (errors are logged): DEL must be repeatable and best effort.
//   CHECK  cni_check: fails when a mesh pod is not enrolled.
//   VERSION the versions of cni_result.h.
// Every ADD/DEL/CHECK decision is one log line (<runDir>/cni.log and stderr).
//
// Configuration (the conflist entry): {"type":"zmesh-cni","runDir":"/var/run/zmesh",
// "excludeNamespaces":["kube-system"],"podWaitMs":5000}; all but type optional.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace zmesh::cni {

struct Environment {
  std::string command;       // CNI_COMMAND
  std::string container_id;  // CNI_CONTAINERID
  std::string netns;         // CNI_NETNS
  std::string ifname;        // CNI_IFNAME
  std::string args;          // CNI_ARGS
};
Environment environment_from(const std::function<const char*(const char*)>& getenv);

struct PluginConfig {
  std::string cni_version;
  std::string run_dir = "/var/run/zmesh";
  std::vector<std::string> exclude_namespaces{"kube-system"};
  std::chrono::milliseconds pod_wait{5000};
  nlohmann::json prev_result;  // null when absent
};
// Errors name the field ("zmesh-cni config: excludeNamespaces: expected a list of strings").
Result<PluginConfig> parse_plugin_config(const nlohmann::json& conf);

// The side effects, injected.
struct Host {
  // One control call to the daemon in run_dir; `netns` (when not empty) is opened and its
  // fd attached. Transport errors only: a daemon's {"ok":false} is a value.
  std::function<Result<nlohmann::json>(const std::string& run_dir, const nlohmann::json& request,
                                       const std::string& netns)>
      call;
  std::function<std::optional<std::string>(const std::string& path)> read_file;
  std::function<void(const std::string& run_dir, const std::string& line)> log;
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<std::chrono::steady_clock::time_point()> now;
};
// The real one: control::call with a 5 s timeout, files, <run_dir>/cni.log, the clocks.
Host system_host();

struct PluginOutput {
  std::string stdout_text;
  int exit_code = 0;
};
PluginOutput run_plugin(const Environment& env, const std::string& stdin_text, const Host& host);

// <run_dir>/cni-namespaces.json, written by the daemon on every config change: the
// namespaces in ambient mode, for when the plugin cannot reach it.
inline constexpr const char* kNamespacesFile = "cni-namespaces.json";
inline constexpr const char* kLogFile = "cni.log";

}  // namespace zmesh::cni
