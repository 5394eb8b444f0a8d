// CNI results and errors as the spec (0.3.x, 0.4.0, 1.0.0) writes them: the versions this
// plugin speaks, the pod's addresses in the previous plugin's result, and error objects.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace zmesh::cni {

// Versions we accept and VERSION advertises. A chained plugin passes prevResult through
// unchanged, which is already in the request's version.
const std::vector<std::string>& supported_versions();
bool supports_version(const std::string& version);

// The answer to VERSION.
nlohmann::json version_reply(const std::string& request_version);

// Spec error codes used here.
enum ErrorCode : int {
  kIncompatibleVersion = 1,
  kBadEnvironment = 4,
  kDecodeFailed = 6,
  kInvalidConfig = 7,
  kTryAgainLater = 11,
};
nlohmann::json error_object(const std::string& cni_version, int code, const std::string& msg,
                            const std::string& details = "");

// The pod's IP addresses (without prefix length) in a previous result: the ips[] whose
// `interface` index names an interface with `sandbox` == netns; an ips[] entry without an
// interface index counts too (plugins may omit it). Malformed entries are skipped.
std::vector<std::string> pod_ips(const nlohmann::json& prev_result, const std::string& netns);

}  // namespace zmesh::cni
