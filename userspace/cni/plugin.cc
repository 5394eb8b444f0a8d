#include "cni/plugin.h"

#include <algorithm>

#include "cni/cni_args.h"
#include "cni/cni_result.h"
#include "control/ops.h"

namespace zmesh::cni {
namespace {

using nlohmann::json;

constexpr std::chrono::milliseconds kRetryEvery{25};  // the watch lags the kubelet by ~20-40 ms

PluginOutput fail(const std::string& version, int code, const std::string& msg,
                  const std::string& details = "") {
  return {error_object(version, code, msg, details).dump() + "\n", 1};
}

std::string short_id(const std::string& id) {
  return id.size() > 12 ? id.substr(0, 12) : id;
}

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// Whether the daemon's last word (cni-namespaces.json) lists `ns` as ambient. Missing or
// unreadable: no daemon has run on this node, so nothing here is in the mesh yet.
bool namespace_listed_ambient(const Host& host, const std::string& run_dir, const std::string& ns) {
  auto text = host.read_file(run_dir + "/" + kNamespacesFile);
  if (!text) return false;
  auto doc = json::parse(*text, nullptr, false);
  if (!doc.is_object() || !doc.contains("ambient") || !doc["ambient"].is_array()) return false;
  for (const auto& n : doc["ambient"])
    if (n.is_string() && n.get<std::string>() == ns) return true;
  return false;
}

struct Call {
  const Environment& env;
  const PluginConfig& config;
  const Host& host;
  const K8sPod& pod;

  void log(const std::string& what) const {
    host.log(config.run_dir, env.command + " " + pod.key() + " container=" +
                                 short_id(env.container_id) + " netns=" + env.netns + ": " + what);
  }
  control::CniPod cni_pod(std::vector<std::string> ips = {}) const {
    return {pod.key(), env.container_id, env.netns, std::move(ips)};
  }
};

PluginOutput add(const Call& c, const std::string& result) {
  PluginOutput pass{result, 0};
  const auto& version = c.config.cni_version;
  auto ips = pod_ips(c.config.prev_result, c.env.netns);
  auto request = control::cni_request(control::kOpCniAdd, c.cni_pod(ips));
  const auto deadline = c.host.now() + c.config.pod_wait;
  for (;;) {
    auto reply = c.host.call(c.config.run_dir, request, c.env.netns);
    if (!reply) {
      if (namespace_listed_ambient(c.host, c.config.run_dir, c.pod.namespace_)) {
        c.log("FAILED: namespace " + c.pod.namespace_ +
              " is ambient and ztunnel is unreachable: " + reply.error().message);
        return fail(version, kTryAgainLater,
                    "zmesh: ztunnel unreachable for mesh pod " + c.pod.key(),
                    reply.error().message);
      }
      c.log("passed: ztunnel unreachable (" + reply.error().message + "), namespace " +
            c.pod.namespace_ + " not ambient as last known");
      return pass;
    }
    auto checked = control::check_reply(*reply);
    if (!checked) {
      c.log("FAILED: " + checked.error().message);
      return fail(version, kTryAgainLater, "zmesh: cannot enroll mesh pod " + c.pod.key(),
                  checked.error().message);
    }
    const json& r = *checked;
    std::string reason = r.value("reason", "");
    if (r.contains("mesh") && r["mesh"].is_boolean()) {
      if (r.value("enrolled", false)) {
        c.log("enrolled (" + reason + ")");
      } else if (r["mesh"].get<bool>()) {  // should not happen: ok without enrolling a mesh pod
        c.log("FAILED: mesh pod not enrolled (" + reason + ")");
        return fail(version, kTryAgainLater, "zmesh: mesh pod " + c.pod.key() + " not enrolled",
                    reason);
      } else {
        c.log("passed: not in the mesh (" + reason + ")");
      }
      return pass;
    }
    // The pod is not in ztunnel's view yet (the API server watch lags the kubelet).
    if (!r.value("namespaceAmbient", false)) {
      c.log("passed: not yet known to ztunnel and namespace " + c.pod.namespace_ +
            " not ambient (enrolled later if it joins the mesh)");
      return pass;
    }
    if (c.host.now() >= deadline) {
      c.log("FAILED: namespace " + c.pod.namespace_ +
            " is ambient and ztunnel has not seen the pod");
      return fail(version, kTryAgainLater,
                  "zmesh: ztunnel does not know mesh pod " + c.pod.key() + " yet",
                  "not in its view after " + std::to_string(c.config.pod_wait.count()) + " ms");
    }
    c.host.sleep(kRetryEvery);
  }
}

PluginOutput del(const Call& c) {
  auto reply =
      c.host.call(c.config.run_dir, control::cni_request(control::kOpCniDel, c.cni_pod()), "");
  if (!reply) {
    c.log("ztunnel unreachable (" + reply.error().message + "); nothing to undo here");
  } else if (auto checked = control::check_reply(*reply); !checked) {
    c.log("ztunnel: " + checked.error().message + " (ignored: DEL is best effort)");
  } else {
    c.log(checked->value("unenrolled", false) ? "unenrolled" : "nothing enrolled for this sandbox");
  }
  return {"", 0};
}

PluginOutput check(const Call& c) {
  const auto& version = c.config.cni_version;
  auto reply =
      c.host.call(c.config.run_dir, control::cni_request(control::kOpCniCheck, c.cni_pod()), "");
  if (!reply) {
    if (namespace_listed_ambient(c.host, c.config.run_dir, c.pod.namespace_)) {
      c.log("FAILED: ztunnel unreachable for a pod of ambient namespace " + c.pod.namespace_);
      return fail(version, kTryAgainLater, "zmesh: ztunnel unreachable", reply.error().message);
    }
    c.log("ok: ztunnel unreachable, namespace not ambient");
    return {"", 0};
  }
  auto checked = control::check_reply(*reply);
  if (!checked) {
    c.log("FAILED: " + checked.error().message);
    return fail(version, kTryAgainLater, "zmesh: " + checked.error().message);
  }
  c.log("ok (" + checked->value("reason", "") + ")");
  return {"", 0};
}

}  // namespace

Environment environment_from(const std::function<const char*(const char*)>& getenv) {
  auto get = [&](const char* k) {
    const char* v = getenv(k);
    return v ? std::string(v) : std::string();
  };
  return {get("CNI_COMMAND"), get("CNI_CONTAINERID"), get("CNI_NETNS"), get("CNI_IFNAME"),
          get("CNI_ARGS")};
}

Result<PluginConfig> parse_plugin_config(const json& conf) {
  auto bad = [](const std::string& field, const std::string& want) {
    return make_error("zmesh-cni config: " + field + ": expected " + want);
  };
  if (!conf.is_object()) return make_error("zmesh-cni config: not a JSON object");
  PluginConfig c;
  if (conf.contains("cniVersion")) {
    if (!conf["cniVersion"].is_string()) return bad("cniVersion", "a string");
    c.cni_version = conf["cniVersion"];
  }
  if (conf.contains("runDir")) {
    if (!conf["runDir"].is_string() || conf["runDir"].get<std::string>().empty())
      return bad("runDir", "a non-empty path");
    c.run_dir = conf["runDir"];
  }
  if (conf.contains("excludeNamespaces")) {
    const auto& e = conf["excludeNamespaces"];
    if (!e.is_array()) return bad("excludeNamespaces", "a list of strings");
    c.exclude_namespaces.clear();
    for (const auto& n : e) {
      if (!n.is_string()) return bad("excludeNamespaces", "a list of strings");
      c.exclude_namespaces.push_back(n);
    }
  }
  if (conf.contains("podWaitMs")) {
    if (!conf["podWaitMs"].is_number_unsigned() || conf["podWaitMs"].get<uint64_t>() > 60000)
      return bad("podWaitMs", "milliseconds from 0 to 60000");
    c.pod_wait = std::chrono::milliseconds(conf["podWaitMs"].get<uint64_t>());
  }
  if (conf.contains("prevResult")) {
    if (!conf["prevResult"].is_object()) return bad("prevResult", "an object");
    c.prev_result = conf["prevResult"];
  }
  return c;
}

PluginOutput run_plugin(const Environment& env, const std::string& stdin_text, const Host& host) {
  auto conf = json::parse(stdin_text, nullptr, false);
  if (env.command == "VERSION") {
    std::string v = conf.is_object() ? conf.value("cniVersion", "") : "";
    return {version_reply(v).dump() + "\n", 0};
  }
  if (conf.is_discarded()) return fail("", kDecodeFailed, "zmesh-cni: stdin is not JSON");
  auto config = parse_plugin_config(conf);
  if (!config) return fail("", kInvalidConfig, "Invalid Configuration", config.error().message);
  const auto& version = config->cni_version;
  if (!supports_version(version)) {
    std::string list;
    for (const auto& v : supported_versions()) list += (list.empty() ? "" : ", ") + v;
    return fail(version, kIncompatibleVersion, "incompatible CNI versions",
                "config is \"" + version + "\", zmesh-cni supports " + list);
  }
  if (env.command != "ADD" && env.command != "DEL" && env.command != "CHECK")
    return fail(version, kBadEnvironment, "zmesh-cni: unknown CNI_COMMAND \"" + env.command + "\"");

  // What ADD prints: the previous result, unchanged but for the version it is spoken in.
  json result = config->prev_result.is_object() ? config->prev_result : json::object();
  result["cniVersion"] = version;
  const std::string pass_text = env.command == "ADD" ? result.dump() + "\n" : "";

  auto pod = k8s_pod(parse_cni_args(env.args));
  if (!pod) return {pass_text, 0};  // not a Kubernetes pod: not ours to judge
  Call call{env, *config, host, *pod};
  if (contains(config->exclude_namespaces, pod->namespace_)) {
    call.log("passed: namespace " + pod->namespace_ + " is excluded");
    return {pass_text, 0};
  }
  if (env.command == "ADD") {
    if (env.netns.empty())
      return fail(version, kBadEnvironment, "zmesh-cni: CNI_NETNS is required for ADD");
    return add(call, pass_text);
  }
  if (env.command == "DEL") return del(call);
  return check(call);
}

}  // namespace zmesh::cni
