#include "jwt/verify.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "jwt/openssl_ptr.h"

namespace zmesh::jwt {
namespace {

const EVP_MD* digest_of(Algorithm alg) {
  switch (alg) {
    case Algorithm::kRs384:
    case Algorithm::kPs384:
    case Algorithm::kEs384:
      return EVP_sha384();
    case Algorithm::kRs512:
    case Algorithm::kPs512:
    case Algorithm::kEs512:
      return EVP_sha512();
    case Algorithm::kEdDsa:
      return nullptr;  // Ed25519 hashes internally
    default:
      return EVP_sha256();
  }
}

KeyType key_type_of(Algorithm alg) {
  switch (alg) {
    case Algorithm::kEs256:
    case Algorithm::kEs384:
    case Algorithm::kEs512:
      return KeyType::kEc;
    case Algorithm::kEdDsa:
      return KeyType::kOkp;
    default:
      return KeyType::kRsa;
  }
}

bool is_pss(Algorithm alg) {
  return alg == Algorithm::kPs256 || alg == Algorithm::kPs384 || alg == Algorithm::kPs512;
}

// JOSE's ECDSA signature is r || s, each the curve's size (RFC 7518 §3.4); OpenSSL wants DER.
// The curve is the algorithm's (ES256: P-256, ES384: P-384, ES512: P-521).
std::optional<std::string> ecdsa_der(std::string_view raw, Algorithm alg, const Jwk& key) {
  const char* crv = alg == Algorithm::kEs512   ? "P-521"
                    : alg == Algorithm::kEs384 ? "P-384"
                                               : "P-256";
  if (key.crv != crv) return std::nullopt;
  const size_t half = alg == Algorithm::kEs512 ? 66 : alg == Algorithm::kEs384 ? 48 : 32;
  if (raw.size() != 2 * half) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BignumPtr r(BN_bin2bn(bytes, static_cast<int>(half), nullptr));
  BignumPtr s(BN_bin2bn(bytes + half, static_cast<int>(half), nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  r.release();  // owned by sig now
  s.release();
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) return std::nullopt;
  return der;
}

bool verify_with(const ParsedToken& token, const Jwk& key) {
  std::string_view signature = token.signature;
  std::optional<std::string> der;
  if (key.kty == KeyType::kEc) {
    der = ecdsa_der(signature, token.alg, key);
    if (!der) return false;
    signature = *der;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), &pctx, digest_of(token.alg), nullptr,
                                        key.key.get()) == 1;
  if (ok && is_pss(token.alg)) {
    // MGF1 with the same hash (RFC 7518 §3.5); the salt length is not enforced, as in Envoy.
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, digest_of(token.alg)) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1;
  }
  ok = ok && EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                              signature.size(),
                              reinterpret_cast<const unsigned char*>(token.signed_part.data()),
                              token.signed_part.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::string_view strip_audience(std::string_view aud) {
  if (aud.rfind("http://", 0) == 0) {
    aud.remove_prefix(7);
  } else if (aud.rfind("https://", 0) == 0) {
    aud.remove_prefix(8);
  }
  if (!aud.empty() && aud.back() == '/') aud.remove_suffix(1);
  return aud;
}

}  // namespace

std::optional<Failure> check_time(const ParsedToken& token, uint64_t now) {
  if (token.nbf && now + kClockSkewSeconds < *token.nbf) return Failure::kNotYetValid;
  // exp 0 counts as absent (jwt_verify_lib stores absent as 0).
  if (token.exp && *token.exp != 0 && now > *token.exp + kClockSkewSeconds) {
    return Failure::kExpired;
  }
  return std::nullopt;
}

bool audiences_allowed(const std::vector<std::string>& configured,
                       const std::vector<std::string>& token_audiences) {
  if (configured.empty()) return true;
  for (const auto& aud : token_audiences) {
    for (const auto& want : configured) {
      if (strip_audience(aud) == strip_audience(want)) return true;
    }
  }
  return false;
}

std::optional<Failure> check_signature(const ParsedToken& token, const KeySet& keys) {
  const KeyType kty = key_type_of(token.alg);
  if (kty == KeyType::kOkp && token.signature.size() != 64) {
    return Failure::kEd25519SignatureWrongLength;
  }
  bool kid_alg_matched = false;
  for (const auto& key : keys.keys) {
    // As jwt_verify_lib: a token kid selects keys with that kid or none; a key's alg must match.
    if (!token.kid.empty() && !key.kid.empty() && key.kid != token.kid) continue;
    if (!key.alg.empty() && key.alg != token.alg_name) continue;
    kid_alg_matched = true;
    if (key.kty == kty && verify_with(token, key)) return std::nullopt;
  }
  return kid_alg_matched ? Failure::kVerificationFail : Failure::kKidAlgMismatch;
}

VerifyResult verify(const ParsedToken& token, const VerifyRule& rule, const KeySet* keys,
                    uint64_t now) {
  auto fail = [](Failure f) { return VerifyResult{std::nullopt, f}; };
  if (!rule.issuer.empty() && token.iss != rule.issuer) return fail(Failure::kUnknownIssuer);
  if (auto f = check_time(token, now)) return fail(*f);
  if (rule.audiences && !audiences_allowed(*rule.audiences, token.audiences)) {
    return fail(Failure::kAudienceNotAllowed);
  }
  if (!keys) return fail(Failure::kJwksFetchFail);
  if (keys->keys.empty()) return fail(Failure::kJwksNoValidKeys);
  if (auto f = check_signature(token, *keys)) return fail(*f);

  VerifiedToken v;
  v.issuer = token.iss;
  v.subject = token.sub;
  v.audiences = token.audiences;
  if (auto azp = token.payload.find("azp"); azp != token.payload.end() && azp->is_string()) {
    v.presenter = azp->get<std::string>();
  }
  v.claims = token.payload;
  if (token.exp && *token.exp != 0) v.exp = token.exp;
  v.payload_segment = token.payload_segment;
  return VerifyResult{std::move(v), Failure::kVerificationFail};
}

VerifyResult verify(std::string_view text, const VerifyRule& rule, const KeySet* keys,
                    uint64_t now) {
  auto parsed = parse_token(text);
  if (auto* f = std::get_if<Failure>(&parsed)) return VerifyResult{std::nullopt, *f};
  return verify(std::get<ParsedToken>(parsed), rule, keys, now);
}

}  // namespace zmesh::jwt
