#include "control/ops.h"

#include <utility>

namespace zmesh::control {

using nlohmann::json;

json enroll_request(const std::string& pod, const std::string& netns_path) {
  return {{"op", kOpEnroll}, {"pod", pod}, {"netns", netns_path}};
}
json unenroll_request(const std::string& pod) {
  return {{"op", kOpUnenroll}, {"pod", pod}};
}
json status_request() {
  return {{"op", kOpStatus}};
}
json config_dump_request() {
  return {{"op", kOpConfigDump}};
}

json certs_request() {
  return {{"op", kOpCerts}};
}

json cni_request(const char* op, const CniPod& pod) {
  return {{"op", op},
          {"pod", pod.pod},
          {"containerId", pod.container_id},
          {"netns", pod.netns},
          {"ips", pod.ips}};
}

json ok_reply(json fields) {
  if (!fields.is_object()) fields = json{{"result", std::move(fields)}};
  fields["ok"] = true;
  return fields;
}

json error_reply(const std::string& message) {
  return {{"ok", false}, {"error", message}};
}

Result<json> check_reply(const json& reply) {
  if (reply.is_object() && reply.value("ok", false) == true) return reply;
  std::string message = "daemon returned an error without a message";
  if (reply.is_object() && reply.contains("error") && reply["error"].is_string())
    message = reply["error"].get<std::string>();
  return make_error(message);
}

bool valid_pod_key(const std::string& pod) {
  size_t slash = pod.find('/');
  return slash != std::string::npos && slash > 0 && slash + 1 < pod.size() &&
         pod.find('/', slash + 1) == std::string::npos;
}

}  // namespace zmesh::control
