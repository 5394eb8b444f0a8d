// JWKS parsing: every key type and curve, skipped keys, and sets that are not usable.
#include <gtest/gtest.h>

#include "jwt/jwks.h"
#include "jwt_test_tokens.h"

namespace zmesh::jwt {
namespace {

using nlohmann::json;

// RFC 7515 A.2's RSA key and A.3's P-256 key; RFC 8037 A.2's Ed25519 key.
constexpr const char* kRfcRsaN =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
    "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-"
    "bSf63kpaSHSXndS5z5rexMdbB"
    "YUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-"
    "DWN"
    "moudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";

TEST(JwksTest, ParsesEveryKeyType) {
  auto p384 = test::generate_key("EC", "P-384");
  auto p521 = test::generate_key("EC", "P-521");
  const std::string text = test::jwks_of({
      json{{"kty", "RSA"},
           {"kid", "rsa"},
           {"alg", "RS256"},
           {"use", "sig"},
           {"n", kRfcRsaN},
           {"e", "AQAB"}},
      json{{"kty", "EC"},
           {"kid", "p256"},
           {"crv", "P-256"},
           {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
           {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}},
      test::public_jwk(p384.get(), "p384"),
      test::public_jwk(p521.get(), "p521", "ES512"),
      json{{"kty", "OKP"},
           {"kid", "ed"},
           {"crv", "Ed25519"},
           {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
  });
  auto set = parse_jwks(text);
  ASSERT_TRUE(set.ok()) << set.error().message;
  ASSERT_EQ(set->keys.size(), 5u);
  EXPECT_TRUE(set->skipped.empty());
  struct Want {
    const char* kid;
    KeyType kty;
    const char* crv;
    const char* alg;
    int bits;
  };
  const Want want[] = {{"rsa", KeyType::kRsa, "", "RS256", 2048},
                       {"p256", KeyType::kEc, "P-256", "", 256},
                       {"p384", KeyType::kEc, "P-384", "", 384},
                       {"p521", KeyType::kEc, "P-521", "ES512", 521},
                       {"ed", KeyType::kOkp, "Ed25519", "", 256}};
  for (size_t i = 0; i < 5; ++i) {
    SCOPED_TRACE(want[i].kid);
    EXPECT_EQ(set->keys[i].kid, want[i].kid);
    EXPECT_EQ(set->keys[i].kty, want[i].kty);
    EXPECT_EQ(set->keys[i].crv, want[i].crv);
    EXPECT_EQ(set->keys[i].alg, want[i].alg);
    ASSERT_TRUE(set->keys[i].key);
    EXPECT_EQ(EVP_PKEY_get_bits(set->keys[i].key.get()), want[i].bits);
  }
}

TEST(JwksTest, SingleJwkIsASetOfOne) {
  auto key = test::generate_key("ED25519");
  auto set = parse_jwks(test::public_jwk(key.get(), "only").dump());
  ASSERT_TRUE(set.ok()) << set.error().message;
  ASSERT_EQ(set->keys.size(), 1u);
  EXPECT_EQ(set->keys[0].kid, "only");
}

TEST(JwksTest, SkipsUnusableKeysAndSaysWhy) {
  auto good = test::generate_key("EC", "P-256");
  const std::string text = test::jwks_of({
      json{{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}},
      json{{"kty", "RSA"}, {"kid", "enc"}, {"use", "enc"}, {"n", kRfcRsaN}, {"e", "AQAB"}},
      json{{"kty", "EC"}, {"kid", "k1"}, {"crv", "secp256k1"}, {"x", "AA"}, {"y", "AA"}},
      json{{"kty", "OKP"}, {"kid", "x448"}, {"crv", "X448"}, {"x", "AA"}},
      json{{"kty", "EC"},
           {"kid", "offcurve"},
           {"crv", "P-256"},
           {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
           {"y", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"}},
      json{{"kty", "RSA"}, {"kid", "no-e"}, {"n", kRfcRsaN}},
      json{{"kty", "RSA"}, {"kid", "es-alg"}, {"alg", "ES256"}, {"n", kRfcRsaN}, {"e", "AQAB"}},
      json{{"kid", "no-kty"}},
      test::public_jwk(good.get(), "good"),
  });
  auto set = parse_jwks(text);
  ASSERT_TRUE(set.ok()) << set.error().message;
  ASSERT_EQ(set->keys.size(), 1u);
  EXPECT_EQ(set->keys[0].kid, "good");
  ASSERT_EQ(set->skipped.size(), 8u);
  EXPECT_EQ(set->skipped[0], "keys[0] (kid hmac): [kty] \"oct\" is not supported");
  EXPECT_EQ(set->skipped[1], "keys[1] (kid enc): [use] is \"enc\", not \"sig\"");
  EXPECT_NE(set->skipped[4].find("not a point of P-256"), std::string::npos) << set->skipped[4];
  EXPECT_EQ(set->skipped[5], "keys[5] (kid no-e): [e] field is missing");
  EXPECT_EQ(set->skipped[7], "keys[7] (kid no-kty): [kty] is missing in [keys]");
}

TEST(JwksTest, Errors) {
  struct Case {
    const char* json;
    const char* error_prefix;
  };
  const Case cases[] = {
      {"not json", "Jwks is an invalid JSON"},
      {"[1,2]", "Jwks is an invalid JSON"},
      {R"({"keys": {}})", "[keys] in Jwks is not an array"},
      {R"({"foo": 1})", "Jwks does not have [keys] field"},
      {R"({"keys": []})", "Jwks doesn't have any valid public key"},
      {R"({"keys": [{"kty": "oct", "k": "AA"}]})",
       "Jwks doesn't have any valid public key; keys[0]: [kty] \"oct\" is not supported"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    auto set = parse_jwks(c.json);
    ASSERT_FALSE(set.ok());
    EXPECT_EQ(set.error().message.rfind(c.error_prefix, 0), 0u) << set.error().message;
  }
}

}  // namespace
}  // namespace zmesh::jwt
