// `ztunnel ca init` and `issue-node` end to end on temp dirs, and flag errors (exit 2).
#include "ca/ca_command.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ca/node_credentials.h"
#include "ca/service_identities.h"
#include "identity/certificate.h"

namespace zmesh::ca {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "zmesh-cacmd-XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int run(std::vector<std::string> args) {
  args.insert(args.begin(), {"ztunnel", "ca"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return run_ca_command(static_cast<int>(args.size()), argv.data());
}

std::string common_name(X509* cert) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
  return buf;
}

bool verifies(X509* leaf, const std::vector<identity::X509Ptr>& roots) {
  identity::X509StorePtr store(X509_STORE_new());
  for (const auto& r : roots) X509_STORE_add_cert(store.get(), r.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store.get(), leaf, nullptr);
  bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  return ok;
}

TEST(CaCommand, InitThenIssueNodeWritesNodeCredentials) {
  TempDir tmp;
  std::string ca = tmp.path() + "/ca", out = tmp.path() + "/node";
  ASSERT_EQ(run({"init", "--dir", ca, "--trust-domain", "example.org", "--lifetime", "48h"}), 0);
  for (const char* f : {"ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"})
    EXPECT_TRUE(fs::exists(ca + "/" + f)) << f;
  ASSERT_EQ(run({"issue-node", "--ca-dir", ca, "--node", "worker-7", "--out", out, "--trust-domain",
                 "example.org", "--ttl", "1h"}),
            0);

  struct stat st {};
  ASSERT_EQ(::stat((out + "/node-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto creds = load_node_credentials(out);
  ASSERT_TRUE(creds.ok()) << creds.error().message;
  X509* leaf = creds->chain.front().get();
  EXPECT_EQ(common_name(leaf), "worker-7");
  auto id = identity::spiffe_id_of(leaf);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->uri(), "spiffe://example.org/ns/istio-system/sa/ztunnel");
  EXPECT_TRUE(verifies(leaf, creds->roots));
  auto lifetime = identity::not_after(leaf) - identity::not_before(leaf);
  EXPECT_LE(lifetime, std::chrono::seconds(3600 + 60));
  EXPECT_GE(lifetime, std::chrono::seconds(3600));
}

TEST(CaCommand, InitRefusesToOverwriteAnExistingCa) {
  TempDir tmp;
  ASSERT_EQ(run({"init", "--dir", tmp.path()}), 0);
  auto before = fs::last_write_time(tmp.path() + "/ca-key.pem");
  EXPECT_EQ(run({"init", "--dir", tmp.path()}), 1);
  EXPECT_EQ(fs::last_write_time(tmp.path() + "/ca-key.pem"), before);
}

TEST(CaCommand, IssueNodeFailsWithoutCa) {
  TempDir tmp;
  EXPECT_EQ(run({"issue-node", "--ca-dir", tmp.path() + "/missing", "--node", "n1", "--out",
                 tmp.path() + "/out"}),
            1);
  EXPECT_FALSE(fs::exists(tmp.path() + "/out/node-cert.pem"));
}

TEST(CaCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(run({}), 2);
  EXPECT_EQ(run({"frobnicate"}), 2);
  EXPECT_EQ(run({"init"}), 2);                                     // missing --dir
  EXPECT_EQ(run({"init", "--dir", "/tmp/x", "--bogus", "1"}), 2);  // unknown flag
  EXPECT_EQ(run({"init", "--dir", "/tmp/x", "--lifetime", "soon"}), 2);
  EXPECT_EQ(run({"issue-node", "--ca-dir", "/tmp/x", "--out", "/tmp/y"}), 2);  // missing --node
  EXPECT_EQ(run({"serve", "--config-dir", "/tmp/x"}), 2);  // neither --ca-dir nor --state-dir
  EXPECT_EQ(run({"serve", "--config-dir", "/tmp/x", "--ca-dir", "a", "--state-dir", "b"}), 2);
  EXPECT_EQ(run({"serve", "--config-dir", "/tmp/x", "--ca-dir", "a", "--listen", "nohost:1"}), 2);
  EXPECT_EQ(run({"serve", "--config-dir", "/tmp/x", "--ca-dir", "a", "--max-ttl", "0s"}), 2);
  EXPECT_EQ(run({"serve", "--config-dir", "/tmp/x", "--ca-dir", "a", "--log-level", "loud"}), 2);
}

TEST(CaCommand, HelpExitsZero) {
  EXPECT_EQ(run({"--help"}), 0);
  for (const char* verb : {"init", "issue-node", "serve"}) EXPECT_EQ(run({verb, "--help"}), 0);
}

}  // namespace
}  // namespace zmesh::ca
