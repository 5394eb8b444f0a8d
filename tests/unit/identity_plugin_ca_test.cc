// Istio's plug-in CA directory: loading what create_plugin_dir writes and a hand-built
// root + intermediate layout, clear errors naming the broken file, and LocalCaSource
// reloading the directory when it is rewritten (root rotation).
#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <optional>

#include "identity/certificate.h"
#include "identity/certificate_authority.h"
#include "identity/certificate_source.h"
#include "identity/csr.h"

namespace zmesh::identity {
namespace {

using namespace std::chrono_literals;

// A CA certificate built with plain OpenSSL calls (not the library's builder), the way
// another tool (openssl req / step / istioctl) would make a plug-in CA.
X509Ptr make_ca_cert(const char* cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                     bool is_ca = true) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), std::rand() + 1);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  const char* bc = is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
  const char* ku = is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature";
  for (auto [nid, value] : {std::pair{NID_basic_constraints, bc}, std::pair{NID_key_usage, ku},
                            std::pair{NID_subject_key_identifier, "hash"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    EXPECT_NE(ext, nullptr);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  EXPECT_GT(X509_sign(cert.get(), issuer_key, EVP_sha256()), 0);
  return cert;
}

class PluginCaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "zmesh-plugin-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& data) {
    std::ofstream(dir_ + "/" + name, std::ios::trunc) << data;
  }
  std::string read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // root R -> intermediate I (the signing CA), laid out as Istio's cacerts secret.
  void write_intermediate_layout() {
    root_key_.reset(EVP_EC_gen("P-256"));
    inter_key_.reset(EVP_EC_gen("P-256"));
    root_ = make_ca_cert("Test Root", root_key_.get(), nullptr, root_key_.get());
    inter_ = make_ca_cert("Test Intermediate", inter_key_.get(), root_.get(), root_key_.get());
    write("ca-cert.pem", to_pem(inter_.get()));
    write("ca-key.pem", key_to_pem(inter_key_.get()));
    write("root-cert.pem", to_pem(root_.get()));
    write("cert-chain.pem", to_pem(inter_.get()) + to_pem(root_.get()));
  }
  Result<SignedChain> sign(const CertificateAuthority& ca) {
    auto kc = make_key_and_csr(web_);
    EXPECT_TRUE(kc);
    return ca.sign(kc->csr_pem, web_, 3600s);
  }

  std::string dir_;
  SpiffeId web_{"cluster.local", "shop", "web"};
  EvpPkeyPtr root_key_, inter_key_;
  X509Ptr root_, inter_;
};

// OpenSSL's own verdict on leaf + chain against the roots.
int verify(const SignedChain& sc) {
  X509StorePtr store(X509_STORE_new());
  for (const auto& r : sc.roots) X509_STORE_add_cert(store.get(), r.get());
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  for (size_t i = 1; i < sc.chain.size(); ++i) sk_X509_push(untrusted, sc.chain[i].get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store.get(), sc.chain[0].get(), untrusted);
  int rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  sk_X509_free(untrusted);
  return rc;
}

TEST_F(PluginCaTest, LoadsWhatCreatePluginDirWrites) {
  ASSERT_TRUE(CertificateAuthority::create_plugin_dir(dir_, "example.org", 3600s));
  EXPECT_EQ(read("ca-cert.pem"), read("root-cert.pem"));
  EXPECT_EQ(read("cert-chain.pem"), read("root-cert.pem"));
  EXPECT_EQ(std::filesystem::status(dir_ + "/ca-key.pem").permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  auto ca = CertificateAuthority::load_plugin(dir_);
  ASSERT_TRUE(ca) << ca.error().message;
  EXPECT_EQ((*ca)->dir(), dir_);
  auto sc = sign(**ca);
  ASSERT_TRUE(sc) << sc.error().message;
  EXPECT_EQ(sc->chain.size(), 1u);  // the signing CA is the root: nothing in between
  EXPECT_EQ(verify(*sc), X509_V_OK);

  auto again = CertificateAuthority::create_plugin_dir(dir_, "example.org", 3600s);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("ca-key.pem"), std::string::npos);
}

TEST_F(PluginCaTest, IntermediateLayoutIssuesLeafPlusIntermediate) {
  write_intermediate_layout();
  auto ca = CertificateAuthority::load_plugin(dir_);
  ASSERT_TRUE(ca) << ca.error().message;
  auto sc = sign(**ca);
  ASSERT_TRUE(sc) << sc.error().message;
  ASSERT_EQ(sc->chain.size(), 2u);
  EXPECT_EQ(X509_cmp(sc->chain[1].get(), inter_.get()), 0);  // root dropped from the chain
  ASSERT_EQ(sc->roots.size(), 1u);
  EXPECT_EQ(X509_cmp(sc->roots[0].get(), root_.get()), 0);
  EXPECT_EQ(verify(*sc), X509_V_OK);
}

TEST_F(PluginCaTest, CertChainFileIsOptionalWhenTheSigningCertIsTheRoot) {
  ASSERT_TRUE(CertificateAuthority::create_plugin_dir(dir_, "cluster.local", 3600s));
  std::filesystem::remove(dir_ + "/cert-chain.pem");
  auto ca = CertificateAuthority::load_plugin(dir_);
  ASSERT_TRUE(ca) << ca.error().message;
}

TEST_F(PluginCaTest, ErrorsNameTheFile) {
  auto expect_error = [&](const std::string& file, const std::string& what) {
    auto ca = CertificateAuthority::load_plugin(dir_);
    ASSERT_FALSE(ca) << file;
    EXPECT_NE(ca.error().message.find(dir_ + "/" + file), std::string::npos) << ca.error().message;
    EXPECT_NE(ca.error().message.find(what), std::string::npos) << ca.error().message;
  };
  expect_error("ca-cert.pem", "No such file");

  write_intermediate_layout();
  write("root-cert.pem", "garbage");
  expect_error("root-cert.pem", "no PEM certificate");

  write_intermediate_layout();
  write("ca-key.pem", key_to_pem(root_key_.get()));
  expect_error("ca-key.pem", "does not match");

  write_intermediate_layout();
  write("ca-key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  expect_error("ca-key.pem", "private key");

  write_intermediate_layout();
  EvpPkeyPtr leaf_key(EVP_EC_gen("P-256"));
  write(
      "ca-cert.pem",
      to_pem(make_ca_cert("not a CA", leaf_key.get(), root_.get(), root_key_.get(), false).get()));
  write("ca-key.pem", key_to_pem(leaf_key.get()));
  expect_error("ca-cert.pem", "not a CA");

  // A root that did not issue the signing CA.
  write_intermediate_layout();
  EvpPkeyPtr other_key(EVP_EC_gen("P-256"));
  write("root-cert.pem",
        to_pem(make_ca_cert("Other Root", other_key.get(), nullptr, other_key.get()).get()));
  expect_error("root-cert.pem", "does not chain");
}

// Runs a LocalCaSource::sign to completion.
Result<SignedChain> sign_via(LocalCaSource& src, const SpiffeId& id) {
  boost::asio::io_context io;
  auto kc = make_key_and_csr(id);
  EXPECT_TRUE(kc);
  std::optional<Result<SignedChain>> out;
  // co_spawn's completion would need a default-constructible Result: await inside instead.
  auto run = [&]() -> boost::asio::awaitable<void> {
    out.emplace(co_await src.sign(kc->csr_pem, id, 600s));
  };
  boost::asio::co_spawn(io, run, boost::asio::detached);
  io.run();
  if (!out) return make_error("sign did not complete");
  return std::move(*out);
}

TEST_F(PluginCaTest, LocalCaSourceNoticesARootRotation) {
  ASSERT_TRUE(CertificateAuthority::create_plugin_dir(dir_, "cluster.local", 3600s));
  auto src = LocalCaSource::open(LocalCaSource::Layout::kPlugin, dir_, "cluster.local");
  ASSERT_TRUE(src) << src.error().message;
  EXPECT_NE((*src)->describe().find(dir_), std::string::npos);
  EXPECT_FALSE((*src)->trust_changed());

  std::string old_root = read("root-cert.pem");
  // Rewriting with the same content is not a roots change.
  write("root-cert.pem", old_root);
  EXPECT_FALSE((*src)->trust_changed());

  // Rotation overlap: a new root is added next to the old one.
  EvpPkeyPtr new_key(EVP_EC_gen("P-256"));
  X509Ptr new_root = make_ca_cert("New Root", new_key.get(), nullptr, new_key.get());
  write("root-cert.pem", old_root + to_pem(new_root.get()));
  EXPECT_TRUE((*src)->trust_changed());
  EXPECT_FALSE((*src)->trust_changed());
  EXPECT_EQ((*src)->ca().roots().size(), 2u);
  auto sc = sign_via(**src, web_);
  ASSERT_TRUE(sc) << sc.error().message;
  EXPECT_EQ(sc->roots.size(), 2u);
}

TEST_F(PluginCaTest, FailedReloadKeepsThePreviousCa) {
  ASSERT_TRUE(CertificateAuthority::create_plugin_dir(dir_, "cluster.local", 3600s));
  auto src = LocalCaSource::open(LocalCaSource::Layout::kPlugin, dir_, "cluster.local");
  ASSERT_TRUE(src);
  write("ca-key.pem", "corrupt");
  EXPECT_FALSE((*src)->trust_changed());
  auto sc = sign_via(**src, web_);
  ASSERT_TRUE(sc) << sc.error().message;
  EXPECT_EQ(verify(*sc), X509_V_OK);
}

TEST_F(PluginCaTest, LocalCaSourceSignReloadsFirst) {
  write_intermediate_layout();
  auto src = LocalCaSource::open(LocalCaSource::Layout::kPlugin, dir_, "cluster.local");
  ASSERT_TRUE(src) << src.error().message;
  // Replace the signing CA with a new intermediate under the same root.
  EvpPkeyPtr key2(EVP_EC_gen("P-256"));
  X509Ptr inter2 = make_ca_cert("Intermediate 2", key2.get(), root_.get(), root_key_.get());
  write("ca-cert.pem", to_pem(inter2.get()));
  write("ca-key.pem", key_to_pem(key2.get()));
  write("cert-chain.pem", to_pem(inter2.get()) + to_pem(root_.get()) + "\n");
  auto sc = sign_via(**src, web_);
  ASSERT_TRUE(sc) << sc.error().message;
  ASSERT_EQ(sc->chain.size(), 2u);
  EXPECT_EQ(X509_cmp(sc->chain[1].get(), inter2.get()), 0);
  // Same roots, new signing CA: still a change, so workloads move to the new chain at once.
  EXPECT_TRUE((*src)->trust_changed());
  EXPECT_FALSE((*src)->trust_changed());
}

TEST_F(PluginCaTest, EmbeddedLocalCaSourceCreatesItsRoot) {
  auto src = LocalCaSource::open(LocalCaSource::Layout::kEmbedded, dir_ + "/ca", "cluster.local");
  ASSERT_TRUE(src) << src.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/ca/root-cert.pem"));
  EXPECT_FALSE((*src)->trust_changed());
  auto sc = sign_via(**src, web_);
  ASSERT_TRUE(sc) << sc.error().message;
}

}  // namespace
}  // namespace zmesh::identity
