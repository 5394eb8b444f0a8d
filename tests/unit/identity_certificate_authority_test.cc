// The CA signs CSRs into workload leaves (identity from the caller, not the CSR), refuses bad
// CSRs, and the embedded CA persists its root across restarts with a private key file.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "identity/certificate.h"
#include "identity/certificate_authority.h"
#include "identity/csr.h"

namespace zmesh::identity {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

class CaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "zmesh-ca-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<CertificateAuthority> embedded() {
    auto ca = CertificateAuthority::load_or_create_embedded(dir_ + "/state", "cluster.local");
    EXPECT_TRUE(ca) << ca.error().message;
    return ca ? std::move(*ca) : nullptr;
  }

  std::string dir_;
  SpiffeId web_{"cluster.local", "shop", "web"};
};

// A CSR for `subject`'s public key, signed by `signer` (normally the same key).
std::string csr_pem_for(EVP_PKEY* subject, EVP_PKEY* signer) {
  X509ReqPtr req(X509_REQ_new());
  X509_REQ_set_pubkey(req.get(), subject);
  X509_REQ_sign(req.get(), signer, EVP_sha256());
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n);
}

TEST_F(CaTest, CsrSignCertifiedKeyRoundTrip) {
  auto ca = embedded();
  ASSERT_TRUE(ca);
  auto kc = make_key_and_csr(web_);
  ASSERT_TRUE(kc) << kc.error().message;
  auto before = Clock::now();
  auto signed_chain = ca->sign(kc->csr_pem, web_, 3600s);
  ASSERT_TRUE(signed_chain) << signed_chain.error().message;
  ASSERT_EQ(signed_chain->chain.size(), 1u);  // embedded root signs directly
  ASSERT_EQ(signed_chain->roots.size(), 1u);

  auto ck = make_certified_key(std::move(kc->key), std::move(signed_chain->chain),
                               std::move(signed_chain->roots));
  ASSERT_TRUE(ck) << ck.error().message;
  EXPECT_EQ(ck->identity, web_);
  EXPECT_TRUE(ck->intermediates.empty());
  EXPECT_EQ(ck->serial.size(), 32u);  // 128-bit serial, hex
  EXPECT_EQ(ck->serial, serial_hex(ck->leaf.get()));
  // not_before backdated by a minute for clock skew; not_after = now + ttl (whole seconds).
  EXPECT_LE(ck->not_before, before - 59s);
  EXPECT_GE(ck->not_before, before - 62s);
  EXPECT_GE(ck->not_after, before + 3599s);
  EXPECT_LE(ck->not_after, Clock::now() + 3601s);

  X509* leaf = ck->leaf.get();
  EXPECT_EQ(X509_check_ca(leaf), 0);
  EXPECT_EQ(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER | XKU_SSL_CLIENT);
  EXPECT_TRUE(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(leaf)), 0);  // URI SAN only
  EXPECT_EQ(X509_check_issued(ck->roots[0].get(), leaf), X509_V_OK);

  auto j = ck->to_json();
  EXPECT_EQ(j["identity"], web_.uri());
  EXPECT_EQ(j["serial"], ck->serial);
  EXPECT_EQ(j["chain"].size(), 1u);
  EXPECT_EQ(j["roots"][0]["subject"], "CN=zmesh root CA,O=cluster.local");
  EXPECT_EQ(std::string(j["not_after"]).back(), 'Z');

  auto pem = ck->chain_pem();
  auto reparsed = parse_pem_certs(pem);
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(X509_cmp(reparsed->front().get(), leaf), 0);
}

TEST_F(CaTest, IssuesForTheGivenIdentityNotTheCsrNames) {
  auto ca = embedded();
  ASSERT_TRUE(ca);
  auto kc = make_key_and_csr(SpiffeId{"cluster.local", "kube-system", "admin"});
  ASSERT_TRUE(kc);
  auto chain = ca->sign(kc->csr_pem, web_, 60s);
  ASSERT_TRUE(chain);
  auto id = spiffe_id_of(chain->chain.front().get());
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, web_);
}

TEST_F(CaTest, SerialsAreRandom) {
  auto ca = embedded();
  ASSERT_TRUE(ca);
  auto kc = make_key_and_csr(web_);
  ASSERT_TRUE(kc);
  auto a = ca->sign(kc->csr_pem, web_, 60s);
  auto b = ca->sign(kc->csr_pem, web_, 60s);
  ASSERT_TRUE(a && b);
  EXPECT_NE(serial_hex(a->chain[0].get()), serial_hex(b->chain[0].get()));
}

TEST_F(CaTest, RefusesBadCsrs) {
  auto ca = embedded();
  ASSERT_TRUE(ca);
  auto garbage = ca->sign("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n", web_, 60s);
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("bad CSR"), std::string::npos);

  // Public key of one pair, signature by another: the signature does not verify.
  EvpPkeyPtr a(EVP_EC_gen("P-256")), b(EVP_EC_gen("P-256"));
  auto forged = ca->sign(csr_pem_for(a.get(), b.get()), web_, 60s);
  ASSERT_FALSE(forged);
  EXPECT_NE(forged.error().message.find("signature"), std::string::npos);

  EvpPkeyPtr rsa(EVP_RSA_gen(2048));
  auto rsa_csr = ca->sign(csr_pem_for(rsa.get(), rsa.get()), web_, 60s);
  ASSERT_FALSE(rsa_csr);
  EXPECT_NE(rsa_csr.error().message.find("P-256"), std::string::npos);

  EvpPkeyPtr p384(EVP_EC_gen("P-384"));
  auto p384_csr = ca->sign(csr_pem_for(p384.get(), p384.get()), web_, 60s);
  ASSERT_FALSE(p384_csr);
  EXPECT_NE(p384_csr.error().message.find("curve"), std::string::npos);

  auto kc = make_key_and_csr(web_);
  ASSERT_TRUE(kc);
  EXPECT_FALSE(ca->sign(kc->csr_pem, web_, 0s));
  EXPECT_FALSE(ca->sign(kc->csr_pem, SpiffeId{"cluster.local", "", "web"}, 60s));
}

TEST_F(CaTest, LeafNeverOutlivesTheCa) {
  ASSERT_TRUE(CertificateAuthority::create_plugin_dir(dir_ + "/short", "cluster.local", 120s));
  auto ca = CertificateAuthority::load_plugin(dir_ + "/short");
  ASSERT_TRUE(ca) << ca.error().message;
  auto kc = make_key_and_csr(web_);
  ASSERT_TRUE(kc);
  auto chain = (*ca)->sign(kc->csr_pem, web_, 24h);
  ASSERT_TRUE(chain) << chain.error().message;
  EXPECT_EQ(not_after(chain->chain[0].get()), not_after((*ca)->roots()[0].get()));
}

TEST_F(CaTest, EmbeddedCaIsCreatedOnceWithAPrivateKeyFile) {
  std::string state = dir_ + "/state";
  auto first = embedded();
  ASSERT_TRUE(first);
  struct stat st;
  ASSERT_EQ(::stat((state + "/ca-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((state + "/root-cert.pem").c_str(), &st), 0);
  ASSERT_EQ(first->roots().size(), 1u);
  X509* root = first->roots()[0].get();
  EXPECT_EQ(X509_check_ca(root), 1);
  EXPECT_EQ(X509_self_signed(root, 1), 1);
  EXPECT_GT(not_after(root), Clock::now() + 24h * 365 * 9);
  EXPECT_FALSE(std::filesystem::exists(state + "/ca-key.pem.tmp"));

  auto second = embedded();
  ASSERT_TRUE(second);
  EXPECT_EQ(X509_cmp(second->roots()[0].get(), root), 0);
  EXPECT_EQ(serial_hex(second->roots()[0].get()), serial_hex(root));
}

TEST_F(CaTest, EmbeddedCaWithARootButNoKeyIsAnError) {
  ASSERT_TRUE(embedded());
  std::filesystem::remove(dir_ + "/state/ca-key.pem");
  auto again = CertificateAuthority::load_or_create_embedded(dir_ + "/state", "cluster.local");
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("ca-key.pem"), std::string::npos);
}

TEST_F(CaTest, PemHelpersRoundTripAndRejectGarbage) {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  auto pem = key_to_pem(key.get());
  EXPECT_NE(pem.find("BEGIN PRIVATE KEY"), std::string::npos);  // PKCS#8
  auto back = parse_pem_key(pem);
  ASSERT_TRUE(back);
  EXPECT_EQ(EVP_PKEY_eq(back->get(), key.get()), 1);
  EXPECT_FALSE(parse_pem_key("not a key"));
  EXPECT_FALSE(parse_pem_certs(""));
  EXPECT_FALSE(parse_pem_certs("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
}

}  // namespace
}  // namespace zmesh::identity
