// The per-request RequestAuthentication decision: token locations, pass without a token, 401 and
// 403 replies, several rules, header operations, the token cache.
#include <gtest/gtest.h>

#include <map>

#include "jwt/authenticate.h"
#include "jwt/token_location.h"
#include "jwt_test_tokens.h"

namespace zmesh::jwt {
namespace {

using nlohmann::json;
using Kind = HeaderOp::Kind;

constexpr uint64_t kNow = 1700000000;

struct Keys {
  PkeyPtr a = test::generate_key("EC", "P-256");
  PkeyPtr b = test::generate_key("ED25519");
};
const Keys& keys() {
  static const Keys k;
  return k;
}

json claims(const std::string& iss, json extra = json::object()) {
  json c{{"iss", iss}, {"sub", "alice"}, {"exp", kNow + 3600}};
  c.update(extra);
  return c;
}
std::string token_a(json extra = json::object()) {
  return test::sign_token(keys().a.get(), "ES256", claims("https://a.example", extra));
}
std::string token_b(json extra = json::object()) {
  return test::sign_token(keys().b.get(), "EdDSA", claims("https://b.example", extra));
}

// A request: headers by lower-case name.
struct Request {
  std::multimap<std::string, std::string> headers;
  std::string path = "/api";
  std::string method = "GET";

  AuthRequest view() const {
    AuthRequest r;
    r.method = method;
    r.host = "svc.ns";
    r.path = path;
    r.headers = [this](std::string_view name) {
      std::vector<std::string_view> out;
      auto [lo, hi] = headers.equal_range(std::string(name));
      for (auto it = lo; it != hi; ++it) out.push_back(it->second);
      return out;
    };
    return r;
  }
};

class AuthenticateTest : public ::testing::Test {
 protected:
  AuthenticateTest() {
    rule_a.issuer = "https://a.example";
    rule_b.issuer = "https://b.example";
    auto ka = parse_jwks(test::jwks_of({test::public_jwk(keys().a.get())}));
    auto kb = parse_jwks(test::jwks_of({test::public_jwk(keys().b.get())}));
    keys_a = std::move(ka).value();
    keys_b = std::move(kb).value();
  }
  AuthDecision run(const Request& req, std::vector<RuleKeys> rules = {},
                   TokenCache* cache = nullptr) {
    if (rules.empty()) rules = {{&rule_a, &keys_a, 1}};
    return authenticate(rules, req.view(), kNow, cache);
  }

  state::JwtRule rule_a, rule_b;
  KeySet keys_a, keys_b;
};

TEST_F(AuthenticateTest, NoTokenPassesUnauthenticated) {
  Request req;
  req.headers.emplace("authorization", "Basic dXNlcjpwdw==");  // not a Bearer value
  auto d = run(req);
  EXPECT_TRUE(d.allowed());
  EXPECT_FALSE(d.identity);
  EXPECT_TRUE(d.header_ops.empty());
  EXPECT_TRUE(authenticate({}, req.view(), kNow).allowed());
}

TEST_F(AuthenticateTest, ValidBearerToken) {
  Request req;
  req.headers.emplace("authorization", "Bearer " + token_a({{"aud", "api"}, {"azp", "web"}}));
  auto d = run(req);
  ASSERT_TRUE(d.allowed()) << d.denial->body;
  ASSERT_TRUE(d.identity);
  EXPECT_EQ(d.identity->principal, "https://a.example/alice");
  EXPECT_EQ(d.identity->audiences, std::vector<std::string>{"api"});
  EXPECT_EQ(d.identity->presenter, "web");
  EXPECT_EQ(d.identity->claims["sub"], "alice");
  // The token header is removed before the app sees the request.
  EXPECT_EQ(d.header_ops, (std::vector<HeaderOp>{{Kind::kRemove, "authorization", ""}}));
}

TEST_F(AuthenticateTest, Rejections) {
  rule_a.audiences = {"api"};
  struct Case {
    std::string token;
    int status;
    const char* body;
  };
  const Case cases[] = {
      {token_a({{"exp", kNow - 3600}}), 401, "Jwt is expired"},
      {token_a({{"nbf", kNow + 3600}, {"aud", "api"}}), 401, "Jwt not yet valid"},
      {token_a({{"aud", "other"}}), 403, "Audiences in Jwt are not allowed"},
      {token_b({{"aud", "api"}}), 401, "Jwt issuer is not configured"},
      {"bm90.YQ.YQ", 401, "Jwt header is an invalid JSON"},  // "not"
      {"not.a.jwt", 401, "Jwt header is an invalid Base64url encoded"},
      {"garbage", 401,
       "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"},
      {test::sign_token(keys().b.get(), "EdDSA", claims("https://a.example", {{"aud", "api"}})),
       401, "Jwt verification fails"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    Request req;
    req.path = "/api?x=1";
    req.headers.emplace("authorization", "Bearer " + c.token);
    auto d = run(req);
    ASSERT_FALSE(d.allowed());
    EXPECT_EQ(d.denial->status, c.status);
    EXPECT_EQ(d.denial->body, c.body);
    EXPECT_EQ(d.denial->www_authenticate,
              "Bearer realm=\"http://svc.ns/api?x=1\", error=\"invalid_token\"");
    EXPECT_FALSE(d.identity);
    EXPECT_TRUE(d.header_ops.empty());
  }
  // Keys never fetched.
  Request req;
  req.headers.emplace("authorization", "Bearer " + token_a({{"aud", "api"}}));
  auto d = run(req, {{&rule_a, nullptr, 0}});
  ASSERT_FALSE(d.allowed());
  EXPECT_EQ(d.denial->body, "Jwks remote fetch is failed");
}

TEST_F(AuthenticateTest, CustomLocations) {
  rule_a.from_headers = {{"X-Jwt", "Token "}};
  rule_a.from_params = {"jwt"};
  rule_a.from_cookies = {"session"};
  {
    Request req;
    req.headers.emplace("x-jwt", "Token " + token_a());
    auto d = run(req);
    ASSERT_TRUE(d.identity);
    EXPECT_EQ(d.header_ops, (std::vector<HeaderOp>{{Kind::kRemove, "x-jwt", ""}}));
  }
  {
    Request req;  // the default location is not looked at once locations are configured
    req.headers.emplace("authorization", "Bearer garbage");
    EXPECT_FALSE(run(req).identity);
    EXPECT_TRUE(run(req).allowed());
  }
  {
    Request req;
    req.path = "/p?a=1&jwt=" + token_a() + "&b=2";
    auto d = run(req);
    ASSERT_TRUE(d.identity);
    EXPECT_TRUE(d.header_ops.empty());
    EXPECT_EQ(d.remove_query_params, std::vector<std::string>{"jwt"});
  }
  {
    Request req;
    req.headers.emplace("cookie", "theme=dark; session=" + token_a() + "; x=y");
    auto d = run(req);
    ASSERT_TRUE(d.identity);
    EXPECT_TRUE(d.header_ops.empty());  // cookies are left alone (as Envoy)
    EXPECT_TRUE(d.remove_query_params.empty());
  }
}

TEST_F(AuthenticateTest, DefaultQueryParamAndForwardOriginalToken) {
  rule_a.forward_original_token = true;
  Request req;
  req.path = "/p?access_token=" + token_a();
  auto d = run(req);
  ASSERT_TRUE(d.identity);
  EXPECT_TRUE(d.remove_query_params.empty());
  Request hdr;
  hdr.headers.emplace("authorization", "Bearer " + token_a());
  d = run(hdr);
  ASSERT_TRUE(d.identity);
  EXPECT_TRUE(d.header_ops.empty());
}

TEST_F(AuthenticateTest, OutputHeaders) {
  rule_a.output_payload_to_header = "X-Jwt-Payload";
  rule_a.output_claim_to_headers = {
      {"x-sub", "sub"},     {"x-org", "org.name"},  {"x-level", "org.level"}, {"x-admin", "admin"},
      {"x-ratio", "ratio"}, {"x-groups", "groups"}, {"x-missing", "nope.x"}};
  const std::string token = token_a({{"org", {{"name", "acme"}, {"level", 3}}},
                                     {"admin", true},
                                     {"ratio", 0.5},
                                     {"groups", {"a", "b"}},
                                     {"scope", "read write"}});
  Request req;
  req.headers.emplace("authorization", "Bearer " + token);
  req.headers.emplace("x-sub", "forged");
  auto d = run(req);
  ASSERT_TRUE(d.identity);
  const std::string payload =
      token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1);
  const std::vector<HeaderOp> want = {
      // Every output header is removed first (a client cannot forge them)...
      {Kind::kRemove, "x-jwt-payload", ""},
      {Kind::kRemove, "x-sub", ""},
      {Kind::kRemove, "x-org", ""},
      {Kind::kRemove, "x-level", ""},
      {Kind::kRemove, "x-admin", ""},
      {Kind::kRemove, "x-ratio", ""},
      {Kind::kRemove, "x-groups", ""},
      {Kind::kRemove, "x-missing", ""},
      // ...then set from the token; lists and missing claims give no header.
      {Kind::kAppend, "x-jwt-payload", payload},
      {Kind::kAppend, "x-sub", "alice"},
      {Kind::kAppend, "x-org", "acme"},
      {Kind::kAppend, "x-level", "3"},
      {Kind::kAppend, "x-admin", "true"},
      {Kind::kAppend, "x-ratio", "0.500000"},
      {Kind::kRemove, "authorization", ""},
  };
  EXPECT_EQ(d.header_ops, want);
  // `scope` is split into a list for authorization.
  EXPECT_EQ(d.identity->claims["scope"], json::array({"read", "write"}));

  // Without a token the output headers are still removed.
  Request none;
  none.headers.emplace("x-sub", "forged");
  d = run(none);
  EXPECT_TRUE(d.allowed());
  EXPECT_EQ(d.header_ops.size(), 8u);
}

TEST_F(AuthenticateTest, SeveralRules) {
  const std::vector<RuleKeys> both = {{&rule_b, &keys_b, 2}, {&rule_a, &keys_a, 1}};
  {
    Request req;  // both rules read Authorization: the token's issuer picks the rule
    req.headers.emplace("authorization", "Bearer " + token_b());
    auto d = run(req, both);
    ASSERT_TRUE(d.identity);
    EXPECT_EQ(d.identity->principal, "https://b.example/alice");
  }
  {
    Request req;  // unknown issuer
    req.headers.emplace("authorization", "Bearer " + test::sign_token(keys().a.get(), "ES256",
                                                                      claims("https://c.example")));
    auto d = run(req, both);
    ASSERT_FALSE(d.allowed());
    EXPECT_EQ(d.denial->body, "Jwt issuer is not configured");
  }
  {
    // An expired token of the second rule (by issuer), at a location both share: Envoy (as Istio
    // configures it) reports the first rule's view of it.
    Request req;
    req.headers.emplace("authorization", "Bearer " + token_b({{"exp", kNow - 3600}}));
    auto d = run(req, both);
    ASSERT_FALSE(d.allowed());
    EXPECT_EQ(d.denial->body, "Jwt issuer is not configured");
  }
  {
    // Separate locations: the rule that owns the location reports.
    rule_b.from_headers = {{"x-b", ""}};
    Request req;
    req.headers.emplace("x-b", token_b({{"exp", kNow - 3600}}));
    auto d = run(req, both);
    ASSERT_FALSE(d.allowed());
    EXPECT_EQ(d.denial->body, "Jwt is expired");
    // And a valid token of one rule next to an invalid one of the other passes (requires_any).
    Request two;
    two.headers.emplace("x-b", "garbage");
    two.headers.emplace("authorization", "Bearer " + token_a());
    d = run(two, both);
    ASSERT_TRUE(d.allowed());
    EXPECT_EQ(d.identity->principal, "https://a.example/alice");
  }
}

TEST_F(AuthenticateTest, CorsPreflightBypasses) {
  Request req;
  req.method = "OPTIONS";
  req.headers.emplace("origin", "https://app.example");
  req.headers.emplace("access-control-request-method", "POST");
  req.headers.emplace("authorization", "Bearer garbage");
  EXPECT_TRUE(run(req).allowed());
}

TEST_F(AuthenticateTest, TokenCacheSkipsTheSignature) {
  TokenCache cache;
  Request req;
  req.headers.emplace("authorization", "Bearer " + token_a());
  ASSERT_TRUE(run(req, {}, &cache).identity);
  EXPECT_EQ(cache.size(), 1u);
  ASSERT_TRUE(run(req, {}, &cache).identity);
  EXPECT_EQ(cache.hits(), 1u);
  // The cached entry belongs to verifier 1 only: another id (new keys) verifies again.
  KeySet empty;
  auto d = run(req, {{&rule_a, &empty, 7}}, &cache);
  ASSERT_FALSE(d.allowed());
  EXPECT_EQ(d.denial->body, "Jwks doesn't have any valid public key");
}

TEST(TokenLocationTest, Extraction) {
  state::JwtRule rule;
  rule.from_headers = {{"Authorization", "Bearer "}, {"x-token", ""}};
  rule.from_params = {"t"};
  rule.from_cookies = {"c"};
  const auto locations = locations_of(rule);
  std::multimap<std::string, std::string> h = {
      {"authorization", "Bearer   aaa.bbb.ccc"},
      {"authorization", "Other xyz"},
      {"x-token", "raw"},
      {"cookie", "a=1; c=\"quoted\""},
  };
  HeaderLookup lookup = [&](std::string_view name) {
    std::vector<std::string_view> out;
    auto [lo, hi] = h.equal_range(std::string(name));
    for (auto it = lo; it != hi; ++it) out.push_back(it->second);
    return out;
  };
  auto found = extract_tokens(locations, lookup, "x=1&t=a%2Eb%2Ec&t=second");
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].token, "aaa.bbb.ccc");
  EXPECT_EQ(found[1].token, "raw");
  EXPECT_EQ(found[2].token, "a.b.c");  // percent-decoded, first value
  EXPECT_EQ(found[3].token, "quoted");
  EXPECT_EQ(query_param("a=1&b", "b"), "");
  EXPECT_EQ(query_param("a=1", "b"), std::nullopt);
  EXPECT_EQ(percent_decode("%41%zz%4"), "A%zz%4");
}

}  // namespace
}  // namespace zmesh::jwt
