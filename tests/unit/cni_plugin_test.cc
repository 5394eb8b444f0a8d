// zmesh-cni's CNI commands (cni/plugin.h) against a scripted daemon, as a table: what the
// runtime gets on stdout and as exit code, what the daemon is asked, what is logged.
#include <gtest/gtest.h>

#include "cni/cni_args.h"
#include "cni/cni_result.h"
#include "cni/plugin.h"

namespace zmesh::cni {
namespace {

using nlohmann::json;

// The bridge plugin's 1.0.0 result for a pod (cni.md §1): eth0 in the sandbox holds the IP.
const char* kPrev = R"({"cniVersion":"1.0.0",
  "interfaces":[{"mac":"ee:e6:5f:e8:71:0b","name":"zcni0"},{"mac":"6e:6e:97:29:ad:64","name":"veth1"},
                {"mac":"3a:7e:a5:42:d6:d3","name":"eth0","sandbox":"/var/run/netns/pod1"}],
  "ips":[{"address":"10.244.77.2/24","gateway":"10.244.77.1","interface":2},
         {"address":"10.244.77.1/24","interface":0}],
  "routes":[{"dst":"0.0.0.0/0"}]})";

std::string conf(const std::string& version = "1.0.0", const std::string& extra = "") {
  return R"({"cniVersion":")" + version + R"(","name":"k8s","type":"zmesh-cni","runDir":"/run/z")" +
         extra + R"(,"prevResult":)" + kPrev + "}";
}

const char* kPodArgs = "IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=web-0;K8S_POD_UID=u1";

using Reply = std::variant<json, std::string>;

struct Script {
  // Replies in order; the last repeats. A string is a transport error.
  Script(std::vector<Reply> r, std::optional<std::string> file = std::nullopt)
      : replies(std::move(r)), namespaces_file(std::move(file)) {}
  std::vector<Reply> replies;
  std::optional<std::string> namespaces_file;
};

struct Run {
  PluginOutput out;
  std::vector<json> requests;
  std::vector<std::string> netns_sent;
  std::vector<std::string> log;
  std::chrono::milliseconds slept{0};
};

Run run(const std::string& command, const std::string& stdin_text, const std::string& args,
        const Script& script, const std::string& netns = "/var/run/netns/pod1") {
  Run r;
  auto t = std::chrono::steady_clock::time_point{};
  Host host;
  host.call = [&](const std::string& run_dir, const json& request,
                  const std::string& ns) -> Result<json> {
    EXPECT_EQ(run_dir, "/run/z");
    r.requests.push_back(request);
    r.netns_sent.push_back(ns);
    const auto& reply = script.replies.at(std::min(r.requests.size(), script.replies.size()) - 1);
    if (auto* e = std::get_if<std::string>(&reply)) return make_error(*e);
    return std::get<json>(reply);
  };
  host.read_file = [&](const std::string& path) -> std::optional<std::string> {
    EXPECT_EQ(path, "/run/z/cni-namespaces.json");
    return script.namespaces_file;
  };
  host.log = [&](const std::string&, const std::string& line) { r.log.push_back(line); };
  host.sleep = [&](std::chrono::milliseconds d) {
    t += d;
    r.slept += d;
  };
  host.now = [&] { return t; };
  Environment env{command, "c0ffee1234567890", netns, "eth0", args};
  r.out = run_plugin(env, stdin_text, host);
  return r;
}

json enrolled{
    {"ok", true}, {"mesh", true}, {"enrolled", true}, {"reason", "namespace demo is ambient"}};
json not_mesh{{"ok", true},
              {"mesh", false},
              {"enrolled", false},
              {"reason", "namespace demo is not in ambient mode"}};
json unknown_ambient{{"ok", true}, {"mesh", nullptr}, {"namespaceAmbient", true}};
json unknown_plain{{"ok", true}, {"mesh", nullptr}, {"namespaceAmbient", false}};
json refused{{"ok", false}, {"error", "pod demo/web-0 has no IPv4 pod IP yet"}};

json passed_result(const std::string& version = "1.0.0") {
  json r = json::parse(kPrev);
  r["cniVersion"] = version;
  return r;
}

TEST(CniPlugin, AddTable) {
  struct Case {
    const char* name;
    std::string stdin_text;
    std::string args;
    Script script;
    int exit_code;
    size_t calls;
    int error_code;   // when exit_code != 0
    const char* log;  // substring of the last log line ("" = nothing logged)
  };
  const std::string ambient_file = R"({"ambient":["demo"]})";
  const Case cases[] = {
      {"mesh pod enrolled",
       conf(),
       kPodArgs,
       {{enrolled}},
       0,
       1,
       0,
       "enrolled (namespace demo is ambient)"},
      {"plain pod passes", conf(), kPodArgs, {{not_mesh}}, 0, 1, 0, "passed: not in the mesh"},
      {"not a Kubernetes pod", conf(), "IgnoreUnknown=1", {{enrolled}}, 0, 0, 0, ""},
      {"excluded namespace",
       conf(),
       "K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=dns",
       {{enrolled}},
       0,
       0,
       0,
       "namespace kube-system is excluded"},
      {"own exclude list",
       conf("1.0.0", R"(,"excludeNamespaces":["demo"])"),
       kPodArgs,
       {{enrolled}},
       0,
       0,
       0,
       "namespace demo is excluded"},
      {"daemon refuses a mesh pod",
       conf(),
       kPodArgs,
       {{refused}},
       1,
       1,
       kTryAgainLater,
       "FAILED: pod demo/web-0 has no IPv4"},
      {"daemon down, namespace ambient",
       conf(),
       kPodArgs,
       {{std::string("connection refused")}, ambient_file},
       1,
       1,
       kTryAgainLater,
       "FAILED: namespace demo is ambient and ztunnel is unreachable"},
      {"daemon down, namespace not ambient",
       conf(),
       kPodArgs,
       {{std::string("connection refused")}, R"({"ambient":["other"]})"},
       0,
       1,
       0,
       "passed: ztunnel unreachable"},
      {"daemon never ran here",
       conf(),
       kPodArgs,
       {{std::string("no such file")}, std::nullopt},
       0,
       1,
       0,
       "passed: ztunnel unreachable"},
      {"pod not seen yet, ambient namespace: retried until known",
       conf(),
       kPodArgs,
       {{unknown_ambient, unknown_ambient, enrolled}},
       0,
       3,
       0,
       "enrolled"},
      {"pod never seen, ambient namespace: fails after podWaitMs",
       conf("1.0.0", R"(,"podWaitMs":1000)"),
       kPodArgs,
       {{unknown_ambient}},
       1,
       41,  // every 25 ms for 1 s, and once more at the deadline
       kTryAgainLater,
       "ztunnel has not seen the pod"},
      {"pod not seen yet, plain namespace: passes at once",
       conf(),
       kPodArgs,
       {{unknown_plain}},
       0,
       1,
       0,
       "not yet known to ztunnel"},
      {"0.4.0 result passes", conf("0.4.0"), kPodArgs, {{enrolled}}, 0, 1, 0, "enrolled"},
      {"unsupported version",
       conf("9.9.9"),
       kPodArgs,
       {{enrolled}},
       1,
       0,
       kIncompatibleVersion,
       ""},
      {"bad field",
       conf("1.0.0", R"(,"podWaitMs":"soon")"),
       kPodArgs,
       {{enrolled}},
       1,
       0,
       kInvalidConfig,
       ""},
      {"not JSON", "{", kPodArgs, {{enrolled}}, 1, 0, kDecodeFailed, ""},
  };
  for (const auto& c : cases) {
    auto r = run("ADD", c.stdin_text, c.args, c.script);
    EXPECT_EQ(r.out.exit_code, c.exit_code) << c.name << "\n" << r.out.stdout_text;
    EXPECT_EQ(r.requests.size(), c.calls) << c.name;
    auto out = json::parse(r.out.stdout_text, nullptr, false);
    ASSERT_TRUE(out.is_object()) << c.name
                                 << ": stdout must be one JSON object: " << r.out.stdout_text;
    if (c.exit_code == 0) {
      std::string version = json::parse(c.stdin_text)["cniVersion"];
      EXPECT_EQ(out, passed_result(version)) << c.name << ": the previous result, unchanged";
    } else {
      EXPECT_EQ(out.value("code", 0), c.error_code) << c.name << ": " << out.dump();
      EXPECT_FALSE(out.value("msg", "").empty()) << c.name;
    }
    if (std::string(c.log).empty()) {
      EXPECT_TRUE(r.log.empty()) << c.name << ": " << (r.log.empty() ? "" : r.log.back());
    } else {
      ASSERT_FALSE(r.log.empty()) << c.name;
      EXPECT_NE(r.log.back().find(c.log), std::string::npos) << c.name << ": " << r.log.back();
      EXPECT_EQ(
          r.log.back().rfind("ADD demo/", 0) == 0 || r.log.back().rfind("ADD kube-system/", 0) == 0,
          true)
          << r.log.back();
    }
  }
}

TEST(CniPlugin, AddTellsTheDaemonThePodTheNetnsAndItsOwnIps) {
  auto r = run("ADD", conf(), kPodArgs, {{enrolled}});
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0],
            json::parse(R"({"op":"cni_add","pod":"demo/web-0","containerId":"c0ffee1234567890",
                            "netns":"/var/run/netns/pod1","ips":["10.244.77.2"]})"));
  EXPECT_EQ(r.netns_sent[0], "/var/run/netns/pod1");  // opened and passed as an fd
  EXPECT_NE(r.log[0].find("container=c0ffee123456 netns=/var/run/netns/pod1"), std::string::npos)
      << r.log[0];
}

TEST(CniPlugin, AddWithoutNetnsIsAnEnvironmentError) {
  auto r = run("ADD", conf(), kPodArgs, {{enrolled}}, "");
  EXPECT_EQ(r.out.exit_code, 1);
  EXPECT_EQ(json::parse(r.out.stdout_text)["code"], kBadEnvironment);
}

TEST(CniPlugin, DelAlwaysSucceedsWithoutOutput) {
  json unenrolled{{"ok", true}, {"unenrolled", true}};
  for (const auto& script :
       {Script{{unenrolled}}, Script{{refused}}, Script{{std::string("refused")}}}) {
    auto r = run("DEL", conf(), kPodArgs, script, "");
    EXPECT_EQ(r.out.exit_code, 0);
    EXPECT_EQ(r.out.stdout_text, "");
    ASSERT_EQ(r.requests.size(), 1u);
    EXPECT_EQ(r.requests[0]["op"], "cni_del");
    EXPECT_EQ(r.requests[0]["containerId"], "c0ffee1234567890");
    EXPECT_EQ(r.netns_sent[0], "");  // nothing to open: the netns may be gone
    ASSERT_EQ(r.log.size(), 1u);
  }
  // DEL of a pod the plugin would not have judged: nothing asked.
  EXPECT_EQ(run("DEL", conf(), "", {{refused}}).requests.size(), 0u);
}

TEST(CniPlugin, CheckFailsForAMeshPodNotEnrolled) {
  auto bad = run("CHECK", conf(), kPodArgs,
                 {{json{{"ok", false}, {"error", "mesh pod demo/web-0 is not enrolled"}}}});
  EXPECT_EQ(bad.out.exit_code, 1);
  EXPECT_EQ(json::parse(bad.out.stdout_text)["code"], kTryAgainLater);
  auto good = run("CHECK", conf(), kPodArgs, {{enrolled}});
  EXPECT_EQ(good.out.exit_code, 0);
  EXPECT_EQ(good.out.stdout_text, "");
  auto down = run("CHECK", conf(), kPodArgs, {{std::string("refused")}, R"({"ambient":["demo"]})"});
  EXPECT_EQ(down.out.exit_code, 1);
}

TEST(CniPlugin, VersionAndUnknownCommands) {
  auto v = run("VERSION", R"({"cniVersion":"0.4.0"})", "", {{enrolled}});
  EXPECT_EQ(v.out.exit_code, 0);
  auto reply = json::parse(v.out.stdout_text);
  EXPECT_EQ(reply["cniVersion"], "0.4.0");
  EXPECT_EQ(reply["supportedVersions"], json::parse(R"(["0.3.0","0.3.1","0.4.0","1.0.0"])"));
  auto gc = run("GC", conf(), kPodArgs, {{enrolled}});
  EXPECT_EQ(gc.out.exit_code, 1);
  EXPECT_EQ(json::parse(gc.out.stdout_text)["code"], kBadEnvironment);
}

TEST(CniArgs, ParseAndPod) {
  auto args = parse_cni_args("IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;;bad;=x;K8S_POD_NAME=web-0");
  EXPECT_EQ(args.size(), 3u);
  auto pod = k8s_pod(args);
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->key(), "demo/web-0");
  EXPECT_FALSE(k8s_pod(parse_cni_args("K8S_POD_NAMESPACE=demo;K8S_POD_NAME=")));
}

TEST(CniResult, PodIpsAreTheSandboxInterfaces) {
  auto prev = json::parse(kPrev);
  EXPECT_EQ(pod_ips(prev, "/var/run/netns/pod1"), std::vector<std::string>{"10.244.77.2"});
  EXPECT_TRUE(pod_ips(prev, "/var/run/netns/other").empty());
  // No interface index (allowed by the spec): the address counts.
  auto bare = json::parse(R"({"ips":[{"address":"10.1.2.3/32"},{"address":"fd00::5/128"}]})");
  EXPECT_EQ(pod_ips(bare, "/x"), (std::vector<std::string>{"10.1.2.3", "fd00::5"}));
  EXPECT_TRUE(pod_ips(json::object(), "/x").empty());
}

}  // namespace
}  // namespace zmesh::cni
