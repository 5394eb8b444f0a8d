// RemoteCaSource without a server: opening, and following rewrites of the node credentials.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>

#include "ca/credential_issuer.h"
#include "ca/node_credentials.h"
#include "ca/remote_ca_source.h"
#include "identity/certificate_authority.h"

namespace zmesh::ca {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kTd = "cluster.local";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "zmesh-remoteca-XXXXXX").string();
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

class RemoteCaSourceTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    for (const auto& dir : {ca_a_, ca_b_})
      ASSERT_TRUE(identity::CertificateAuthority::create_plugin_dir(dir, kTd, 24h));
  }

  void issue(const std::string& ca_dir, const std::string& node = "n1") {
    auto issuer = CredentialIssuer::load(ca_dir);
    ASSERT_TRUE(issuer.ok()) << issuer.error().message;
    auto r = write_node_credentials(*issuer, node, kTd, 1h, creds_);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  TempDir tmp_;
  std::string ca_a_ = tmp_.path() + "/ca-a", ca_b_ = tmp_.path() + "/ca-b";
  std::string creds_ = tmp_.path() + "/creds";
  boost::asio::io_context io_;
};

TEST_F(RemoteCaSourceTest, OpensWithNodeCredentials) {
  issue(ca_a_);
  auto source =
      RemoteCaSource::open(io_.get_executor(), "zmesh-ca.istio-system:15012", creds_, kTd);
  ASSERT_TRUE(source.ok()) << source.error().message;
  EXPECT_EQ((*source)->describe(), "CA service at zmesh-ca.istio-system:15012");
  EXPECT_FALSE((*source)->trust_changed());
}

TEST_F(RemoteCaSourceTest, RejectsBadAddressMissingFilesAndForeignTrustDomain) {
  EXPECT_FALSE(RemoteCaSource::open(io_.get_executor(), "no-port", creds_, kTd).ok());
  EXPECT_FALSE(RemoteCaSource::open(io_.get_executor(), "h:99999", creds_, kTd).ok());
  auto missing = RemoteCaSource::open(io_.get_executor(), "h:1", creds_, kTd);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("node-cert.pem"), std::string::npos)
      << missing.error().message;
  issue(ca_a_);
  // The node certificate is for cluster.local, so it is no node of example.org.
  auto foreign = RemoteCaSource::open(io_.get_executor(), "h:1", creds_, "example.org");
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("not the node identity"), std::string::npos)
      << foreign.error().message;
}

TEST_F(RemoteCaSourceTest, RootsChangedOnlyWhenRewrittenCredentialsBringNewRoots) {
  issue(ca_a_);
  auto source = RemoteCaSource::open(io_.get_executor(), "127.0.0.1:1", creds_, kTd);
  ASSERT_TRUE(source.ok()) << source.error().message;
  issue(ca_a_);  // renewed by the same CA: same roots
  EXPECT_FALSE((*source)->trust_changed());
  issue(ca_b_);  // the cluster moved to another root
  EXPECT_TRUE((*source)->trust_changed());
  EXPECT_FALSE((*source)->trust_changed());  // reported once
}

}  // namespace
}  // namespace zmesh::ca
