#include "ca/credential_issuer.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <memory>

#include "ca/pem_files.h"
#include "identity/ca_files.h"
#include "identity/certificate.h"

namespace zmesh::ca {
namespace {

using identity::EvpPkeyPtr;
using identity::openssl_error;
using identity::X509Ptr;

using BignumPtr = std::unique_ptr<BIGNUM, identity::OpensslFree<BN_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, identity::OpensslFree<GENERAL_NAMES_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, identity::OpensslFree<X509_EXTENSION_free>>;

bool contains(const std::vector<X509Ptr>& certs, const X509* cert) {
  for (const auto& c : certs)
    if (X509_cmp(c.get(), cert) == 0) return true;
  return false;
}

Result<void> add_extension(X509* issuer, X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || !X509_add_ext(cert, ext.get(), -1))
    return make_error(openssl_error(std::string("extension ") + OBJ_nid2sn(nid)));
  return ok();
}

// Built as GENERAL_NAMEs rather than config text, so no name can smuggle in another.
Result<void> add_subject_alt_names(X509* cert, const CertificateProfile& profile) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  auto add = [&](int type, const std::string& value) {
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (!text || !name || !ASN1_STRING_set(text, value.data(), static_cast<int>(value.size()))) {
      ASN1_IA5STRING_free(text);
      GENERAL_NAME_free(name);
      return false;
    }
    GENERAL_NAME_set0_value(name, type, text);
    if (!sk_GENERAL_NAME_push(names.get(), name)) {
      GENERAL_NAME_free(name);
      return false;
    }
    return true;
  };
  bool built = names && add(GEN_URI, profile.identity.uri());
  for (const auto& dns : profile.dns_names) built = built && add(GEN_DNS, dns);
  if (!built ||
      X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
    return make_error(openssl_error("subjectAltName"));
  return ok();
}

Result<void> set_validity(X509* cert, const X509* issuer, std::chrono::seconds ttl) {
  // A minute of slack for peers whose clocks run behind.
  if (!X509_gmtime_adj(X509_getm_notBefore(cert), -60) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(ttl.count())))
    return make_error(openssl_error("validity"));
  if (ASN1_TIME_compare(X509_get0_notAfter(cert), X509_get0_notAfter(issuer)) > 0 &&
      !X509_set1_notAfter(cert, X509_get0_notAfter(issuer)))
    return make_error(openssl_error("validity"));
  return ok();
}

Result<void> set_serial(X509* cert) {
  BignumPtr serial(BN_new());
  if (!serial || !BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)))
    return make_error(openssl_error("serial"));
  return ok();
}

}  // namespace

Result<CredentialIssuer> CredentialIssuer::load(const std::string& dir) {
  CredentialIssuer issuer;
  auto key = read_pem_key(dir + "/ca-key.pem");
  if (!key) return key.error();
  issuer.key_ = std::move(*key);
  auto roots = read_pem_certs(dir + "/root-cert.pem");
  if (!roots) return roots.error();
  issuer.roots_ = std::move(*roots);

  if (identity::file_exists(dir + "/ca-cert.pem")) {  // plug-in layout
    auto cert = read_pem_certs(dir + "/ca-cert.pem");
    if (!cert) return cert.error();
    issuer.cert_ = std::move(cert->front());
    std::vector<X509Ptr> chain;
    if (identity::file_exists(dir + "/cert-chain.pem")) {
      auto listed = read_pem_certs(dir + "/cert-chain.pem");
      if (!listed) return listed.error();
      chain = std::move(*listed);
    }
    if (!contains(issuer.roots_, issuer.cert_.get()))
      issuer.intermediates_.push_back(identity::share(issuer.cert_.get()));
    for (auto& c : chain)
      if (!contains(issuer.roots_, c.get()) && !contains(issuer.intermediates_, c.get()) &&
          X509_check_issued(c.get(), c.get()) != X509_V_OK)
        issuer.intermediates_.push_back(std::move(c));
  } else {  // embedded: the root signs
    for (const auto& root : issuer.roots_)
      if (X509_check_private_key(root.get(), issuer.key_.get()) == 1)
        issuer.cert_ = identity::share(root.get());
    ERR_clear_error();
    if (!issuer.cert_)
      return make_error(dir + ": no ca-cert.pem, and no root in root-cert.pem matches ca-key.pem");
  }
  if (X509_check_private_key(issuer.cert_.get(), issuer.key_.get()) != 1)
    return make_error(openssl_error(dir + ": ca-key.pem does not match the CA certificate"));
  return issuer;
}

Result<IssuedCredentials> CredentialIssuer::issue(const CertificateProfile& profile) const {
  if (profile.ttl.count() <= 0) return make_error("certificate lifetime must be positive");
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return make_error(openssl_error("generating a P-256 key"));
  X509Ptr cert(X509_new());
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3) ||
      !X509_set_pubkey(cert.get(), key.get()) ||
      !X509_set_issuer_name(cert.get(), X509_get_subject_name(cert_.get())))
    return make_error(openssl_error("certificate"));
  if (profile.common_name.empty() || profile.common_name.size() > 64)
    return make_error("common name \"" + profile.common_name + "\" must have 1 to 64 characters");
  if (!X509_NAME_add_entry_by_txt(
          X509_get_subject_name(cert.get()), "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(profile.common_name.data()),
          static_cast<int>(profile.common_name.size()), -1, 0))
    return make_error(openssl_error("common name \"" + profile.common_name + "\""));
  if (auto r = set_serial(cert.get()); !r) return r.error();
  if (auto r = set_validity(cert.get(), cert_.get(), profile.ttl); !r) return r.error();
  struct Ext {
    int nid;
    const char* value;
  };
  for (auto [nid, value] :
       {Ext{NID_basic_constraints, "critical,CA:FALSE"},
        Ext{NID_key_usage, "critical,digitalSignature,keyEncipherment"},
        Ext{NID_ext_key_usage, "serverAuth,clientAuth"}, Ext{NID_subject_key_identifier, "hash"},
        Ext{NID_authority_key_identifier, "keyid"}}) {
    if (auto r = add_extension(cert_.get(), cert.get(), nid, value); !r) return r.error();
  }
  if (auto r = add_subject_alt_names(cert.get(), profile); !r) return r.error();
  // Ed25519/Ed448 CA keys sign without a separate digest.
  int type = EVP_PKEY_get_id(key_.get());
  const EVP_MD* md = type == EVP_PKEY_ED25519 || type == EVP_PKEY_ED448 ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), key_.get(), md) <= 0) return make_error(openssl_error("signing"));

  IssuedCredentials out;
  out.key = std::move(key);
  out.chain.push_back(std::move(cert));
  for (const auto& c : intermediates_) out.chain.push_back(identity::share(c.get()));
  for (const auto& r : roots_) out.roots.push_back(identity::share(r.get()));
  return out;
}

}  // namespace zmesh::ca
