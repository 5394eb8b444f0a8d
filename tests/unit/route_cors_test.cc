// CorsPolicy as Envoy's CORS filter applies Istio's translation: preflight detection, the
// preflight answer for an allowed origin, the decision for a disallowed one, and the headers
// added to responses of actual CORS requests.
#include <gtest/gtest.h>

#include <vector>

#include "route/cors.h"
#include "route_test_request.h"

namespace zmesh::route {
namespace {

using testing::exact;
using testing::get;
using testing::regex;
using testing::TestRequest;

state::CorsPolicy policy() {
  state::CorsPolicy p;
  p.allow_origins = {exact("https://a.example"), regex("https://.*\\.b\\.example")};
  p.allow_methods = {"GET", "POST"};
  p.allow_headers = {"x-foo", "x-bar"};
  p.expose_headers = {"x-exposed"};
  p.max_age = std::chrono::hours(24);
  p.allow_credentials = true;
  return p;
}

TestRequest preflight(std::string origin, std::string method = "POST") {
  TestRequest r = get("/api", {{"Origin", origin},
                               {"Access-Control-Request-Method", method},
                               {"Access-Control-Request-Headers", "x-foo"}});
  r.method = "OPTIONS";
  return r;
}

TEST(RouteCors, PreflightDetection) {
  struct Row {
    const char* what;
    TestRequest request;
    bool want;
  };
  TestRequest no_acrm = get("/", {{"origin", "https://a.example"}});
  no_acrm.method = "OPTIONS";
  TestRequest empty_origin = preflight("");
  TestRequest get_request = preflight("https://a.example");
  get_request.method = "GET";
  std::vector<Row> rows = {{"OPTIONS + Origin + ACRM", preflight("https://x.example"), true},
                           {"no Access-Control-Request-Method", no_acrm, false},
                           {"empty Origin", empty_origin, false},
                           {"not OPTIONS", get_request, false}};
  for (const Row& row : rows)
    EXPECT_EQ(is_cors_preflight(row.request.view()), row.want) << row.what;
}

TEST(RouteCors, AllowedPreflightIsAnsweredWithThePolicy) {
  CompiledCors cors = CompiledCors::compile(policy(), nullptr);
  for (const char* origin : {"https://a.example", "https://x.b.example"}) {
    CorsDecision d = decide_cors(cors, preflight(origin).view());
    EXPECT_EQ(d.verdict, CorsVerdict::kAnswerPreflight) << origin;
    EXPECT_EQ(d.preflight_headers, (HeaderList{{"access-control-allow-origin", origin},
                                               {"access-control-allow-credentials", "true"},
                                               {"access-control-allow-methods", "GET,POST"},
                                               {"access-control-allow-headers", "x-foo,x-bar"},
                                               {"access-control-max-age", "86400"}}));
  }
}

TEST(RouteCors, DisallowedPreflightIsForwardedUnlessIgnored) {
  CompiledCors forward = CompiledCors::compile(policy(), nullptr);
  for (const char* origin :
       {"https://evil.example", "https://a.example.evil", "http://a.example"}) {
    CorsDecision d = decide_cors(forward, preflight(origin).view());
    EXPECT_EQ(d.verdict, CorsVerdict::kForward) << origin;
    HeaderList response{{"x-up", "1"}};
    add_cors_response_headers(forward, d, response);
    EXPECT_EQ(response, (HeaderList{{"x-up", "1"}})) << origin;
  }
  state::CorsPolicy p = policy();
  p.unmatched_preflights = state::UnmatchedPreflights::kIgnore;
  CorsDecision d =
      decide_cors(CompiledCors::compile(p, nullptr), preflight("https://evil.example").view());
  EXPECT_EQ(d.verdict, CorsVerdict::kAnswerPreflight);
  EXPECT_FALSE(d.preflight_headers.contains("access-control-allow-origin"));
  EXPECT_EQ(d.preflight_headers.get("access-control-allow-methods"), "GET,POST");
}

TEST(RouteCors, ActualRequestsGetResponseHeadersOnlyForAllowedOrigins) {
  CompiledCors cors = CompiledCors::compile(policy(), nullptr);
  TestRequest allowed = get("/", {{"origin", "https://a.example"}});
  CorsDecision d = decide_cors(cors, allowed.view());
  EXPECT_EQ(d.verdict, CorsVerdict::kForward);
  HeaderList response{{"Access-Control-Allow-Origin", "*"}};
  add_cors_response_headers(cors, d, response);
  EXPECT_EQ(response, (HeaderList{{"Access-Control-Allow-Origin", "https://a.example"},
                                  {"access-control-allow-credentials", "true"},
                                  {"access-control-expose-headers", "x-exposed"}}));

  TestRequest options_without_acrm = allowed;
  options_without_acrm.method = "OPTIONS";
  EXPECT_EQ(decide_cors(cors, options_without_acrm.view()).verdict, CorsVerdict::kForward);

  CorsDecision denied = decide_cors(cors, get("/", {{"origin", "https://evil.example"}}).view());
  HeaderList untouched;
  add_cors_response_headers(cors, denied, untouched);
  EXPECT_TRUE(untouched.empty());
  EXPECT_EQ(decide_cors(cors, get("/").view()).verdict, CorsVerdict::kNotCors);
}

TEST(RouteCors, DeprecatedAllowOriginAndWildcards) {
  state::CorsPolicy old;
  old.allow_origin = {"https://old.example"};
  CompiledCors c = CompiledCors::compile(old, nullptr);
  EXPECT_TRUE(c.origin_allowed("https://old.example"));
  EXPECT_FALSE(c.origin_allowed("https://old.example.x"));

  old.allow_origins = {exact("https://new.example")};  // allowOrigins takes precedence
  EXPECT_FALSE(CompiledCors::compile(old, nullptr).origin_allowed("https://old.example"));

  state::CorsPolicy star;
  star.allow_origins = {exact("*")};
  star.allow_methods = {"*"};
  CompiledCors s = CompiledCors::compile(star, nullptr);
  EXPECT_TRUE(s.origin_allowed("https://anything.example"));
  CorsDecision d = decide_cors(s, preflight("https://z.example", "PATCH").view());
  EXPECT_EQ(d.preflight_headers.get("access-control-allow-methods"), "PATCH");
  EXPECT_FALSE(d.preflight_headers.contains("access-control-allow-credentials"));
}

}  // namespace
}  // namespace zmesh::route
