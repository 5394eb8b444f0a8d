// Kubernetes credentials: a kubeconfig's current context (inline and file data, relative
// paths, refused plugins), in-cluster service-account credentials, the rotating token.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "kube/base64.h"
#include "kube/bearer_token.h"
#include "kube/in_cluster.h"
#include "kube/kubeconfig.h"

namespace zmesh::kube {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kube_kubeconfig_test.XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    fs::create_directories(fs::path(path_ / name).parent_path());
    std::ofstream(path_ / name) << text;
    return (path_ / name).string();
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST(KubeBase64, DecodesWithAndWithoutPaddingAndRejectsGarbage) {
  EXPECT_EQ(*base64_decode("aGVsbG8="), "hello");
  EXPECT_EQ(*base64_decode("aGVsbG8"), "hello");
  EXPECT_EQ(*base64_decode("aGVs\nbG8h"), "hello!");
  EXPECT_EQ(*base64_decode(""), "");
  EXPECT_FALSE(base64_decode("aGVs*G8=").has_value());
  EXPECT_FALSE(base64_decode("aGVsbG8=x").has_value());
  EXPECT_FALSE(base64_decode("a").has_value());
}

// A kubeconfig with two contexts; the current one is used, not the first.
constexpr const char* kKubeconfig = R"(apiVersion: v1
kind: Config
current-context: admin@lab
contexts:
- name: other
  context: {cluster: elsewhere, user: nobody}
- name: admin@lab
  context: {cluster: lab, user: admin}
clusters:
- name: elsewhere
  cluster: {server: "https://192.0.2.1:6443"}
- name: lab
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: Q0EgUEVN
users:
- name: nobody
  user: {token: wrong}
- name: admin
  user:
    client-certificate: pki/admin.crt
    client-key-data: S0VZIFBFTQ==
    tokenFile: token
)";

TEST(KubeKubeconfig, CurrentContextWithInlineAndRelativeFileData) {
  TempDir dir;
  dir.write("pki/admin.crt", "CERT PEM");
  std::string path = dir.write("config", kKubeconfig);
  auto c = load_kubeconfig(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://127.0.0.1:6443");
  EXPECT_EQ(c->ca_pem, "CA PEM");
  EXPECT_EQ(c->client_cert_pem, "CERT PEM");
  EXPECT_EQ(c->client_key_pem, "KEY PEM");
  EXPECT_EQ(c->token, "");
  EXPECT_EQ(c->token_file, dir.path() + "/token");
  EXPECT_FALSE(c->insecure_skip_tls_verify);
  EXPECT_NE(c->origin.find("admin@lab"), std::string::npos);
}

TEST(KubeKubeconfig, TokenAndInsecureSkipVerify) {
  auto c = parse_kubeconfig(R"(current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://[::1]:6443", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: abc.def}}]
)",
                            "/etc/kube/config");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->token, "abc.def");
  EXPECT_EQ(c->ca_pem, "");
}

TEST(KubeKubeconfig, ProblemsNameWhatIsWrong) {
  struct Case {
    std::string text, expect;
  };
  const std::string ok_cluster = "clusters: [{name: k, cluster: {server: 'https://h'}}]\n";
  for (const auto& c : std::vector<Case>{
           {"[1, 2]", "not a kubeconfig"},
           {"clusters: []", "no current-context"},
           {"current-context: x\ncontexts: []", "context \"x\" not found"},
           {"current-context: c\ncontexts: [{name: c, context: {cluster: k}}]", "cluster \"k\""},
           {"current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
            "clusters: [{name: k, cluster: {}}]",
            "has no server"},
           {"current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n" +
                ok_cluster + "users: [{name: u, user: {exec: {command: aws}}}]",
            "exec is not supported"},
           {"current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n" +
                ok_cluster + "users: [{name: u, user: {client-certificate-data: Q0E=}}]",
            "go together"},
           {"current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n" +
                ok_cluster + "users: [{name: u, user: {client-key-data: '!!'}}]",
            "client-key-data: not base64"},
           {"current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
            "clusters: [{name: k, cluster: {server: 'https://h', certificate-authority: "
            "nope.crt}}]",
            "/k/nope.crt"},
       }) {
    auto r = parse_kubeconfig(c.text, "/k/config");
    ASSERT_FALSE(r.ok()) << c.expect;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("/k/config"), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(load_kubeconfig("/nonexistent/kubeconfig").ok());
}

TEST(KubeInCluster, ServiceHostPortAndMountedFiles) {
  TempDir dir;
  dir.write("ca.crt", "CLUSTER CA");
  dir.write("token", "tok\n");
  std::map<std::string, std::string> env = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                            {"KUBERNETES_SERVICE_PORT", "443"}};
  auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto c = in_cluster_credentials(getenv, dir.path());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->ca_pem, "CLUSTER CA");
  EXPECT_EQ(c->token_file, dir.path() + "/token");

  env["KUBERNETES_SERVICE_HOST"] = "fd00::1";
  EXPECT_EQ(in_cluster_credentials(getenv, dir.path())->server, "https://[fd00::1]:443");

  env.erase("KUBERNETES_SERVICE_PORT");
  auto unset = in_cluster_credentials(getenv, dir.path());
  ASSERT_FALSE(unset.ok());
  EXPECT_NE(unset.error().message.find("KUBERNETES_SERVICE_PORT"), std::string::npos);

  env["KUBERNETES_SERVICE_PORT"] = "443";
  fs::remove(dir.path() + "/token");
  auto no_token = in_cluster_credentials(getenv, dir.path());
  ASSERT_FALSE(no_token.ok());
  EXPECT_NE(no_token.error().message.find("token"), std::string::npos);
}

TEST(KubeBearerToken, FileIsReReadEveryMinuteAndAfterInvalidate) {
  TempDir dir;
  std::string file = dir.write("token", "one\n");
  BearerToken token("", file, std::chrono::seconds(60));
  auto t0 = BearerToken::Clock::now();
  EXPECT_EQ(token.current(t0), "one");
  dir.write("token", "two");
  EXPECT_EQ(token.current(t0 + std::chrono::seconds(30)), "one");  // not due yet
  EXPECT_EQ(token.current(t0 + std::chrono::seconds(61)), "two");  // due
  dir.write("token", "three");
  token.invalidate();  // a 401
  EXPECT_EQ(token.current(t0 + std::chrono::seconds(62)), "three");
  fs::remove(file);  // rotation mid-way: the last token keeps serving
  token.invalidate();
  EXPECT_EQ(token.current(t0 + std::chrono::seconds(63)), "three");
}

TEST(KubeBearerToken, StaticTokenWithoutFile) {
  BearerToken token("static", "");
  EXPECT_EQ(token.current(), "static");
  token.invalidate();
  EXPECT_EQ(token.current(), "static");
}

}  // namespace
}  // namespace zmesh::kube
