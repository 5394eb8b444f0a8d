// Test-only helpers for the jwt_* tests: key pairs made with OpenSSL, their public JWKs, and
// tokens signed with them (every algorithm the module verifies).
#pragma once

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "jwt/base64url.h"
#include "jwt/openssl_ptr.h"

namespace zmesh::jwt::test {

// "RSA" (2048 bits), "EC" with a curve ("P-256", "P-384", "P-521"), or "ED25519".
inline PkeyPtr generate_key(const char* type, const char* curve = nullptr) {
  EVP_PKEY* key = nullptr;
  if (std::string_view(type) == "RSA") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  } else if (curve) {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  }
  if (!key) throw std::runtime_error("keygen failed");
  return PkeyPtr(key);
}

inline std::string bn_bytes(const EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error("no bn param");
  BignumPtr owned(bn);
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

// The public half as a JWK; kid and alg left out when empty.
inline nlohmann::json public_jwk(const EVP_PKEY* key, std::string_view kid = "",
                                 std::string_view alg = "") {
  nlohmann::json jwk;
  if (EVP_PKEY_is_a(key, "RSA")) {
    jwk["kty"] = "RSA";
    jwk["n"] = base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_RSA_N));
    jwk["e"] = base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_RSA_E));
  } else if (EVP_PKEY_is_a(key, "EC")) {
    char group[32] = {};
    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, nullptr);
    const std::string g = group;
    const size_t size = g == "secp521r1" ? 66 : g == "secp384r1" ? 48 : 32;
    jwk["kty"] = "EC";
    jwk["crv"] = size == 66 ? "P-521" : size == 48 ? "P-384" : "P-256";
    unsigned char point[1 + 2 * 66];
    size_t len = 0;
    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len);
    if (len != 1 + 2 * size) throw std::runtime_error("unexpected EC point size");
    const std::string_view p(reinterpret_cast<const char*>(point), len);
    jwk["x"] = base64url_encode(p.substr(1, size));
    jwk["y"] = base64url_encode(p.substr(1 + size, size));
  } else {
    unsigned char raw[32];
    size_t len = sizeof raw;
    EVP_PKEY_get_raw_public_key(key, raw, &len);
    jwk["kty"] = "OKP";
    jwk["crv"] = "Ed25519";
    jwk["x"] = base64url_encode(std::string_view(reinterpret_cast<const char*>(raw), len));
  }
  if (!kid.empty()) jwk["kid"] = kid;
  if (!alg.empty()) jwk["alg"] = alg;
  return jwk;
}

inline std::string jwks_of(std::initializer_list<nlohmann::json> keys) {
  return nlohmann::json{{"keys", nlohmann::json::array_t(keys)}}.dump();
}

// Signs "<b64(header)>.<b64(payload)>" with `key` as `alg` ("RS256" ... "EdDSA").
inline std::string sign_segments(EVP_PKEY* key, std::string_view alg, std::string_view header,
                                 std::string_view payload) {
  const std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  const std::string bits(alg.substr(2));
  const EVP_MD* md = alg == "EdDSA"  ? nullptr
                     : bits == "384" ? EVP_sha384()
                     : bits == "512" ? EVP_sha512()
                                     : EVP_sha256();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key) != 1) {
    throw std::runtime_error("sign init");
  }
  if (alg.substr(0, 2) == "PS") {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size());
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     input.size()) != 1) {
    throw std::runtime_error("sign");
  }
  sig.resize(len);
  if (alg.substr(0, 2) == "ES") {
    // DER -> JOSE r || s.
    const size_t size = bits == "512" ? 66 : bits == "384" ? 48 : 32;
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    EcdsaSigPtr ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
    std::string raw(2 * size, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa.get()), reinterpret_cast<unsigned char*>(raw.data()),
                 static_cast<int>(size));
    BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa.get()), reinterpret_cast<unsigned char*>(raw.data()) + size,
                 static_cast<int>(size));
    sig = raw;
  }
  return input + "." + base64url_encode(sig);
}

inline std::string sign_token(EVP_PKEY* key, std::string_view alg, const nlohmann::json& payload,
                              std::string_view kid = "") {
  nlohmann::json header{{"alg", alg}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  return sign_segments(key, alg, header.dump(), payload.dump());
}

}  // namespace zmesh::jwt::test
