#include "identity/x509_builder.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rand.h>

namespace zmesh::identity {
namespace {

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* g) const { GENERAL_NAMES_free(g); }
};

Result<void> add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
  if (value.empty()) return ok();
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    return make_error(openssl_error(std::string("set subject ") + field));
  }
  return ok();
}

Result<void> add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return make_error(openssl_error(std::string("add extension ") + OBJ_nid2sn(nid)));
  }
  return ok();
}

Result<void> set_time(ASN1_TIME* field, std::chrono::system_clock::time_point t) {
  if (ASN1_TIME_set(field, std::chrono::system_clock::to_time_t(t)) == nullptr) {
    return make_error(openssl_error("set validity"));
  }
  return ok();
}

}  // namespace

Result<EvpPkeyPtr> generate_p256_key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return make_error(openssl_error("generate P-256 key"));
  return key;
}

Result<void> set_random_serial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return make_error(openssl_error("random serial"));
  // Positive (DER INTEGER sign bit clear) and always 16 bytes long.
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
  std::unique_ptr<BIGNUM, OpensslFree<BN_free>> bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return make_error(openssl_error("set serial"));
  }
  return ok();
}

X509ExtensionPtr make_uri_san_extension(const std::vector<std::string>& uris, bool critical) {
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(GENERAL_NAMES_new());
  if (!names) return nullptr;
  for (const auto& uri : uris) {
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    if (gn == nullptr || s == nullptr ||
        ASN1_STRING_set(s, uri.data(), static_cast<int>(uri.size())) != 1) {
      GENERAL_NAME_free(gn);
      ASN1_IA5STRING_free(s);
      return nullptr;
    }
    GENERAL_NAME_set0_value(gn, GEN_URI, s);
    if (sk_GENERAL_NAME_push(names.get(), gn) == 0) {
      GENERAL_NAME_free(gn);
      return nullptr;
    }
  }
  return X509ExtensionPtr(X509V3_EXT_i2d(NID_subject_alt_name, critical ? 1 : 0, names.get()));
}

Result<X509Ptr> build_certificate(const CertSpec& spec, EVP_PKEY* subject_key, const X509* issuer,
                                  EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return make_error(openssl_error("new certificate"));
  }
  if (auto r = set_random_serial(cert.get()); !r) return r.error();
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (auto r = add_name_entry(subject, "O", spec.organization); !r) return r.error();
  if (auto r = add_name_entry(subject, "CN", spec.common_name); !r) return r.error();
  const X509_NAME* issuer_name = issuer ? X509_get_subject_name(issuer) : subject;
  if (X509_set_issuer_name(cert.get(), issuer_name) != 1 ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return make_error(openssl_error("set issuer/public key"));
  }
  if (auto r = set_time(X509_getm_notBefore(cert.get()), spec.not_before); !r) return r.error();
  if (auto r = set_time(X509_getm_notAfter(cert.get()), spec.not_after); !r) return r.error();

  X509V3_CTX ctx;
  // OpenSSL only reads the issuer here (its key identifier).
  X509V3_set_ctx(&ctx, issuer ? const_cast<X509*>(issuer) : cert.get(), cert.get(), nullptr,
                 nullptr, 0);
  X509* x = cert.get();
  Result<void> r = ok();
  if (spec.is_ca) {
    if (r) r = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    if (r) r = add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    if (r) r = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
    if (r) r = add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    if (r) r = add_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  if (r) r = add_ext(x, &ctx, NID_subject_key_identifier, "hash");
  // Also on self-signed roots: roots of a rotation often share one subject name, and the key
  // id is what tells OpenSSL's chain builder which of them issued what.
  if (r) r = add_ext(x, &ctx, NID_authority_key_identifier, "keyid");
  if (!r) return r.error();
  if (!spec.uri_sans.empty()) {
    // RFC 5280: with an empty subject the SAN extension must be critical.
    bool critical = X509_NAME_entry_count(subject) == 0;
    X509ExtensionPtr san = make_uri_san_extension(spec.uri_sans, critical);
    if (!san || X509_add_ext(x, san.get(), -1) != 1) {
      return make_error(openssl_error("add subjectAltName"));
    }
  }
  if (X509_sign(x, issuer_key, EVP_sha256()) <= 0) {
    return make_error(openssl_error("sign certificate"));
  }
  return cert;
}

}  // namespace zmesh::identity
