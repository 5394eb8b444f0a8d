// Token verification: base64url, parsing, every algorithm (RFC vectors where they exist, tokens
// signed here otherwise), key choice by kid and alg, time with the 60 s skew, issuer, audiences.
#include <gtest/gtest.h>

#include "jwt/base64url.h"
#include "jwt/jwks.h"
#include "jwt/verify.h"
#include "jwt_test_tokens.h"

namespace zmesh::jwt {
namespace {

using nlohmann::json;

constexpr const char* kRfcRsaN =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
    "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-"
    "bSf63kpaSHSXndS5z5rexMdbB"
    "YUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-"
    "DWN"
    "moudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
// RFC 7515 A.2 (RS256) and A.3 (ES256): {"iss":"joe","exp":1300819380,...}.
constexpr const char* kRfcPayload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";
constexpr const char* kRfcRs256Signature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_"
    "O8W2Fp5jujG"
    "bds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_"
    "nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"
    "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6"
    "LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
constexpr const char* kRfcEs256Signature =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr uint64_t kRfcExp = 1300819380;

std::string rfc_token(const char* header, const char* signature) {
  return std::string(header) + "." + kRfcPayload + "." + signature;
}

KeySet keys_of(const std::string& jwks) {
  auto set = parse_jwks(jwks);
  if (!set.ok()) throw std::runtime_error(set.error().message);
  return std::move(set).value();
}

TEST(Base64UrlTest, StrictUnpadded) {
  EXPECT_EQ(base64url_decode("aGk"), "hi");
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_EQ(base64url_decode(""), "");
  EXPECT_FALSE(base64url_decode("aGk="));  // padding
  EXPECT_FALSE(base64url_decode("aG+k"));  // base64, not base64url
  EXPECT_FALSE(base64url_decode("aGl"));   // unused bits set: not the canonical spelling
  EXPECT_FALSE(base64url_decode("a"));     // 6 bits
  EXPECT_FALSE(base64url_decode("aG k"));
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\xff\x00\x01"}) {
    EXPECT_EQ(base64url_decode(base64url_encode(s)), s);
  }
}

TEST(VerifyTest, Rfc7515Vectors) {
  const std::vector<std::string> none;
  const VerifyRule rule{"joe", &none};
  const KeySet rsa = keys_of(test::jwks_of({json{{"kty", "RSA"}, {"n", kRfcRsaN}, {"e", "AQAB"}}}));
  const KeySet ec =
      keys_of(test::jwks_of({json{{"kty", "EC"},
                                  {"crv", "P-256"},
                                  {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                                  {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}}}));
  const std::string rs256 = rfc_token("eyJhbGciOiJSUzI1NiJ9", kRfcRs256Signature);
  const std::string es256 = rfc_token("eyJhbGciOiJFUzI1NiJ9", kRfcEs256Signature);

  auto r = verify(rs256, rule, &rsa, kRfcExp - 1000);
  ASSERT_TRUE(r.ok()) << message(r.failure);
  EXPECT_EQ(r.token->issuer, "joe");
  EXPECT_EQ(r.token->exp, kRfcExp);
  EXPECT_EQ(r.token->payload_segment, kRfcPayload);
  EXPECT_EQ(r.token->claims["http://example.com/is_root"], true);
  r = verify(es256, rule, &ec, kRfcExp - 1000);
  ASSERT_TRUE(r.ok()) << message(r.failure);

  // Each with the other's key: the key type does not fit, kid/alg do not exclude the key.
  EXPECT_EQ(verify(rs256, rule, &ec, kRfcExp).failure, Failure::kVerificationFail);
  EXPECT_EQ(verify(es256, rule, &rsa, kRfcExp).failure, Failure::kVerificationFail);
  // The vectors have exp 1300819380: expired a minute (the skew) after it.
  EXPECT_TRUE(verify(rs256, rule, &rsa, kRfcExp + 60).ok());
  EXPECT_EQ(verify(rs256, rule, &rsa, kRfcExp + 61).failure, Failure::kExpired);
}

TEST(VerifyTest, Rfc8037Ed25519Signature) {
  // The A.4 payload is not JSON, so only the signature check applies to it.
  const KeySet keys = keys_of(test::jwks_of({json{
      {"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}}));
  ParsedToken t;
  t.alg = Algorithm::kEdDsa;
  t.alg_name = "EdDSA";
  t.signed_part = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  t.signature = *base64url_decode(
      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
  EXPECT_EQ(check_signature(t, keys), std::nullopt);
  t.signed_part += "x";
  EXPECT_EQ(check_signature(t, keys), Failure::kVerificationFail);
  t.signature.pop_back();
  EXPECT_EQ(check_signature(t, keys), Failure::kEd25519SignatureWrongLength);
}

// One key of each kind, signing tokens with each algorithm.
struct Keys {
  PkeyPtr rsa = test::generate_key("RSA");
  PkeyPtr p256 = test::generate_key("EC", "P-256");
  PkeyPtr p384 = test::generate_key("EC", "P-384");
  PkeyPtr p521 = test::generate_key("EC", "P-521");
  PkeyPtr ed = test::generate_key("ED25519");
  PkeyPtr other_rsa = test::generate_key("RSA");
};

const Keys& keys() {
  static const Keys k;
  return k;
}

constexpr uint64_t kNow = 1700000000;

json claims(json extra = json::object()) {
  json c{{"iss", "https://issuer.example"}, {"sub", "alice"}, {"exp", kNow + 3600}};
  c.update(extra);
  return c;
}

class VerifyAlgorithms : public ::testing::Test {
 protected:
  KeySet set = keys_of(test::jwks_of({
      test::public_jwk(keys().rsa.get(), "rsa"),
      test::public_jwk(keys().p256.get(), "p256"),
      test::public_jwk(keys().p384.get(), "p384"),
      test::public_jwk(keys().p521.get(), "p521"),
      test::public_jwk(keys().ed.get(), "ed"),
  }));
  std::vector<std::string> audiences;
  VerifyRule rule{"https://issuer.example", &audiences};
};

TEST_F(VerifyAlgorithms, EachAlgorithmWithAndWithoutKid) {
  struct Case {
    const char* alg;
    EVP_PKEY* key;
    const char* kid;
  };
  const Case cases[] = {
      {"RS256", keys().rsa.get(), "rsa"},   {"RS384", keys().rsa.get(), "rsa"},
      {"RS512", keys().rsa.get(), "rsa"},   {"PS256", keys().rsa.get(), "rsa"},
      {"PS384", keys().rsa.get(), "rsa"},   {"PS512", keys().rsa.get(), "rsa"},
      {"ES256", keys().p256.get(), "p256"}, {"ES384", keys().p384.get(), "p384"},
      {"ES512", keys().p521.get(), "p521"}, {"EdDSA", keys().ed.get(), "ed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.alg);
    for (const char* kid : {c.kid, ""}) {
      const std::string token = test::sign_token(c.key, c.alg, claims({{"azp", "web"}}), kid);
      auto r = verify(token, rule, &set, kNow);
      ASSERT_TRUE(r.ok()) << message(r.failure);
      EXPECT_EQ(r.token->subject, "alice");
      EXPECT_EQ(r.token->presenter, "web");
      // Tampered: a payload character, then a signature character, changed.
      std::string bad = token;
      const size_t dot = bad.find('.');
      bad[dot + 5] = bad[dot + 5] == 'A' ? 'B' : 'A';
      EXPECT_FALSE(verify(bad, rule, &set, kNow).ok());
      bad = token;
      const size_t sig = bad.rfind('.') + 3;
      bad[sig] = bad[sig] == 'A' ? 'B' : 'A';
      EXPECT_EQ(verify(bad, rule, &set, kNow).failure, Failure::kVerificationFail);
    }
  }
}

TEST_F(VerifyAlgorithms, KeyChoice) {
  const std::string by_other = test::sign_token(keys().other_rsa.get(), "RS256", claims(), "rsa");
  EXPECT_EQ(verify(by_other, rule, &set, kNow).failure, Failure::kVerificationFail);
  const std::string unknown_kid = test::sign_token(keys().rsa.get(), "RS256", claims(), "nope");
  EXPECT_EQ(verify(unknown_kid, rule, &set, kNow).failure, Failure::kKidAlgMismatch);
  // A key that names its alg only verifies that alg.
  KeySet rs256_only = keys_of(test::jwks_of({test::public_jwk(keys().rsa.get(), "", "RS256")}));
  EXPECT_TRUE(
      verify(test::sign_token(keys().rsa.get(), "RS256", claims()), rule, &rs256_only, kNow).ok());
  EXPECT_EQ(verify(test::sign_token(keys().rsa.get(), "PS256", claims()), rule, &rs256_only, kNow)
                .failure,
            Failure::kKidAlgMismatch);
  // A key without kid is a candidate for any token kid (as Envoy).
  KeySet no_kid = keys_of(test::jwks_of({test::public_jwk(keys().ed.get())}));
  EXPECT_TRUE(
      verify(test::sign_token(keys().ed.get(), "EdDSA", claims(), "whatever"), rule, &no_kid, kNow)
          .ok());
  // A P-384 key without kid or alg verifies ES384; an ES256 token finds no fitting key.
  KeySet p384 = keys_of(test::jwks_of({test::public_jwk(keys().p384.get())}));
  EXPECT_TRUE(
      verify(test::sign_token(keys().p384.get(), "ES384", claims()), rule, &p384, kNow).ok());
  EXPECT_EQ(
      verify(test::sign_token(keys().p256.get(), "ES256", claims()), rule, &p384, kNow).failure,
      Failure::kVerificationFail);
}

TEST_F(VerifyAlgorithms, KeysAbsentOrEmpty) {
  const std::string token = test::sign_token(keys().rsa.get(), "RS256", claims());
  EXPECT_EQ(verify(token, rule, nullptr, kNow).failure, Failure::kJwksFetchFail);
  KeySet empty;
  EXPECT_EQ(verify(token, rule, &empty, kNow).failure, Failure::kJwksNoValidKeys);
  EXPECT_EQ(message(Failure::kJwksFetchFail), "Jwks remote fetch is failed");
}

TEST_F(VerifyAlgorithms, TimeWithSkew) {
  struct Case {
    json extra;
    std::optional<Failure> want;
  };
  const Case cases[] = {
      {{{"exp", kNow}}, std::nullopt},
      {{{"exp", kNow - 60}}, std::nullopt},  // inside the skew
      {{{"exp", kNow - 61}}, Failure::kExpired},
      {{{"nbf", kNow + 60}}, std::nullopt},
      {{{"nbf", kNow + 61}}, Failure::kNotYetValid},
      {{{"exp", nullptr}}, Failure::kExpNotInteger},
      {{{"exp", -5}}, Failure::kExpOutOfRange},
      {{{"nbf", "soon"}}, Failure::kNbfNotInteger},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.extra.dump());
    json payload = claims();
    payload.update(c.extra);
    auto r = verify(test::sign_token(keys().p256.get(), "ES256", payload), rule, &set, kNow);
    if (c.want) {
      EXPECT_EQ(r.failure, *c.want) << message(r.failure);
      EXPECT_FALSE(r.ok());
    } else {
      EXPECT_TRUE(r.ok()) << message(r.failure);
    }
  }
  json no_exp = claims();
  no_exp.erase("exp");
  auto r = verify(test::sign_token(keys().p256.get(), "ES256", no_exp), rule, &set, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.token->exp, std::nullopt);
}

TEST_F(VerifyAlgorithms, IssuerAndAudiences) {
  struct Case {
    std::vector<std::string> configured;
    json aud;  // null: no aud claim
    std::optional<Failure> want;
  };
  const Case cases[] = {
      {{}, nullptr, std::nullopt},
      {{"api"}, nullptr, Failure::kAudienceNotAllowed},
      {{"api"}, "api", std::nullopt},
      {{"api"}, "web", Failure::kAudienceNotAllowed},
      {{"api", "web"}, json::array({"x", "web"}), std::nullopt},
      {{"api"}, json::array({"x", "y"}), Failure::kAudienceNotAllowed},
      {{"https://api.example/"}, "http://api.example", std::nullopt},  // Envoy's normalisation
      {{"api"}, json::array({"api", 3}), Failure::kAudNotString},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.aud.dump());
    json payload = claims();
    if (!c.aud.is_null()) payload["aud"] = c.aud;
    const VerifyRule r{"https://issuer.example", &c.configured};
    auto got = verify(test::sign_token(keys().ed.get(), "EdDSA", payload), r, &set, kNow);
    if (c.want) {
      EXPECT_EQ(got.failure, *c.want) << message(got.failure);
    } else {
      ASSERT_TRUE(got.ok()) << message(got.failure);
    }
  }
  auto got = verify(test::sign_token(keys().ed.get(), "EdDSA", claims({{"aud", "api"}})), rule,
                    &set, kNow);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.token->audiences, std::vector<std::string>{"api"});

  const VerifyRule other{"https://other.example", &audiences};
  const std::string token = test::sign_token(keys().ed.get(), "EdDSA", claims());
  EXPECT_EQ(verify(token, other, &set, kNow).failure, Failure::kUnknownIssuer);
  // The issuer is checked before the time (Envoy's order).
  const std::string expired =
      test::sign_token(keys().ed.get(), "EdDSA", claims({{"exp", kNow - 3600}}));
  EXPECT_EQ(verify(expired, other, &set, kNow).failure, Failure::kUnknownIssuer);
  EXPECT_EQ(verify(expired, rule, &set, kNow).failure, Failure::kExpired);
}

TEST_F(VerifyAlgorithms, MalformedTokens) {
  const std::string good = test::sign_token(keys().rsa.get(), "RS256", claims());
  const size_t dot1 = good.find('.');
  const size_t dot2 = good.rfind('.');
  const std::string header = good.substr(0, dot1);
  const std::string payload = good.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string sig = good.substr(dot2 + 1);
  auto seg = [](std::string_view s) { return base64url_encode(s); };
  struct Case {
    std::string token;
    Failure want;
  };
  const Case cases[] = {
      {"", Failure::kBadFormat},
      {"garbage", Failure::kBadFormat},
      {header + "." + payload, Failure::kBadFormat},
      {header + "." + payload + "." + sig + ".x", Failure::kBadFormat},
      {header + ".." + sig, Failure::kBadFormat},
      {header + "." + payload + ".", Failure::kBadFormat},
      {header + "=." + payload + "." + sig, Failure::kHeaderBadBase64},
      {header + "." + payload + "=." + sig, Failure::kPayloadBadBase64},
      {header + "." + payload + "." + sig + "==", Failure::kSignatureBadBase64},
      {header + "." + payload + ".a+b", Failure::kSignatureBadBase64},
      {seg("{not json") + "." + payload + "." + sig, Failure::kHeaderBadJson},
      {seg(R"({"typ":"JWT"})") + "." + payload + "." + sig, Failure::kHeaderBadAlg},
      {seg(R"({"alg":256})") + "." + payload + "." + sig, Failure::kHeaderBadAlg},
      {seg(R"({"alg":"none"})") + "." + payload + "." + sig, Failure::kHeaderNotImplementedAlg},
      {seg(R"({"alg":"HS256"})") + "." + payload + "." + sig, Failure::kHeaderNotImplementedAlg},
      {seg(R"({"alg":"RS256","kid":7})") + "." + payload + "." + sig, Failure::kHeaderBadKid},
      {header + "." + seg("[1]") + "." + sig, Failure::kPayloadBadJson},
      {header + "." + seg(R"({"iss":1})") + "." + sig, Failure::kIssNotString},
      {header + "." + seg(R"({"iss":"a","sub":{}})") + "." + sig, Failure::kSubNotString},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.token);
    auto r = verify(c.token, rule, &set, kNow);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.failure, c.want) << message(r.failure);
  }
  // "none" with an empty signature is not even three sections.
  EXPECT_EQ(verify(seg(R"({"alg":"none"})") + "." + payload + ".", rule, &set, kNow).failure,
            Failure::kBadFormat);
  EXPECT_EQ(message(Failure::kBadFormat),
            "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections");
}

}  // namespace
}  // namespace zmesh::jwt
