// Requests of the control protocol (documented in control.h), built in one place so the
// CLI and the daemon agree on op names and fields.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"

namespace zmesh::control {

inline constexpr const char* kOpEnroll = "enroll";
inline constexpr const char* kOpUnenroll = "unenroll";
inline constexpr const char* kOpStatus = "status";
inline constexpr const char* kOpConfigDump = "config_dump";
inline constexpr const char* kOpCerts = "certs";
// From zmesh-cni (userspace/cni): a pod's sandbox was set up / torn down / is checked.
inline constexpr const char* kOpCniAdd = "cni_add";
inline constexpr const char* kOpCniDel = "cni_del";
inline constexpr const char* kOpCniCheck = "cni_check";

nlohmann::json enroll_request(const std::string& pod, const std::string& netns_path);
nlohmann::json unenroll_request(const std::string& pod);
nlohmann::json status_request();
nlohmann::json config_dump_request();
nlohmann::json certs_request();

// What a CNI call tells the daemon about a pod's sandbox.
struct CniPod {
  std::string pod;               // "NS/NAME"
  std::string container_id;      // CNI_CONTAINERID
  std::string netns;             // CNI_NETNS (may be empty on DEL)
  std::vector<std::string> ips;  // from the previous plugin's result
};
nlohmann::json cni_request(const char* op, const CniPod& pod);

// Replies.
nlohmann::json ok_reply(nlohmann::json fields = nlohmann::json::object());
nlohmann::json error_reply(const std::string& message);
// The reply itself if "ok" is true, else an Error with the daemon's message.
Result<nlohmann::json> check_reply(const nlohmann::json& reply);

// "NS/NAME" with both parts non-empty and no further '/'.
bool valid_pod_key(const std::string& pod);

}  // namespace zmesh::control
