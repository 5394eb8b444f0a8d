// CUSTOM's ext_authz HTTP check, the pure halves (l7/ext_authz_check): header patterns, the
// check request Envoy sends, and the verdict from the authorizer's answer (or its absence).
#include <gtest/gtest.h>

#include "l7/ext_authz_check.h"

namespace zmesh::l7 {
namespace {

TEST(HeaderPattern, Table) {
  struct Case {
    const char* pattern;
    const char* name;
    bool want;
  };
  const Case cases[] = {
      {"x-ext-authz", "x-ext-authz", true},
      {"x-ext-authz", "X-Ext-Authz", true},
      {"x-ext-authz", "x-ext-authz-2", false},
      {"x-*", "x-team", true},
      {"x-*", "X-TEAM", true},
      {"x-*", "y-team", false},
      {"*-id", "x-request-id", true},
      {"*-id", "x-request-ids", false},
      {"*", "anything", true},
      {"", "x", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(header_pattern_matches(c.pattern, c.name), c.want) << c.pattern << " " << c.name;
}

state::ExtAuthzHttpProvider provider() {
  state::ExtAuthzHttpProvider p;
  p.service = "ext-authz.foo.svc.cluster.local";
  p.port = 8000;
  p.path_prefix = "/check";
  p.include_request_headers_in_check = {"x-ext-authz", "x-team-*"};
  p.include_additional_headers_in_check = {{"x-added", "1"}, {"x-team-a", "override"}};
  p.headers_to_upstream_on_allow = {"x-result", "x-user"};
  p.headers_to_downstream_on_deny = {"x-result"};
  return p;
}

TEST(CheckRequest, MethodPathHostAndChosenHeadersOnly) {
  Request client{http::verb::post, "/api/v1?q=1", 11};
  client.set(http::field::host, "products:9080");
  client.set("x-ext-authz", "allow");
  client.set("x-team-a", "blue");
  client.set("x-team-b", "red");
  client.set("authorization", "Bearer t");
  client.set("cookie", "secret");
  client.set("x-other", "1");
  client.set(http::field::transfer_encoding, "chunked");
  client.body() = "a body that is not sent";
  auto check = make_check_request(client, provider());
  EXPECT_EQ(check.method(), http::verb::post);
  EXPECT_EQ(check.target(), "/check/api/v1?q=1");
  EXPECT_EQ(check[http::field::host], "products:9080");
  EXPECT_EQ(check["x-ext-authz"], "allow");
  EXPECT_EQ(check["x-team-b"], "red");
  EXPECT_EQ(check["x-team-a"], "override");  // includeAdditionalHeadersInCheck wins
  EXPECT_EQ(check["x-added"], "1");
  EXPECT_EQ(check["authorization"], "Bearer t");  // Envoy always sends it
  EXPECT_EQ(check.count("cookie"), 0u);
  EXPECT_EQ(check.count("x-other"), 0u);
  EXPECT_EQ(check.count(http::field::transfer_encoding), 0u);
  EXPECT_EQ(check[http::field::content_length], "0");
  EXPECT_TRUE(check.body().empty());
}

Response answer(unsigned status, const std::string& body) {
  Response r{static_cast<http::status>(status), 11};
  r.set("x-result", status == 200 ? "allowed" : "denied");
  r.set("x-user", "alice");
  r.set("x-secret", "no");
  r.set(http::field::content_type, "text/plain");
  r.body() = body;
  r.prepare_payload();
  return r;
}

TEST(Verdict, OkAllowsWithTheNamedUpstreamHeaders) {
  auto v = ext_authz_verdict(answer(200, ""), provider(), 11, false);
  ASSERT_TRUE(v.allowed);
  EXPECT_FALSE(v.reply);
  Request r{http::verb::get, "/", 11};
  r.set("x-user", "mallory");  // replaced, not appended
  apply_upstream_headers(v, r);
  EXPECT_EQ(r["x-result"], "allowed");
  EXPECT_EQ(r["x-user"], "alice");
  EXPECT_EQ(r.count("x-user"), 1u);
  EXPECT_EQ(r.count("x-secret"), 0u);
}

TEST(Verdict, OtherStatusDeniesWithTheAuthorizersAnswer) {
  for (unsigned status : {401u, 403u, 302u, 500u}) {
    auto v = ext_authz_verdict(answer(status, "go away"), provider(), 11, false);
    ASSERT_FALSE(v.allowed) << status;
    ASSERT_TRUE(v.reply);
    EXPECT_EQ(v.reply->result_int(), status);
    EXPECT_EQ(v.reply->body(), "go away");
    EXPECT_EQ((*v.reply)["x-result"], "denied");
    EXPECT_EQ(v.reply->count("x-secret"), 0u);  // not in headersToDownstreamOnDeny
    EXPECT_EQ((*v.reply)[http::field::content_length], "7");
    EXPECT_EQ(v.details, "ext_authz_denied");
  }
  // without headersToDownstreamOnDeny every header but hop-by-hop ones goes to the client
  auto open = provider();
  open.headers_to_downstream_on_deny.clear();
  auto v = ext_authz_verdict(answer(403, "x"), open, 11, false);
  EXPECT_EQ((*v.reply)["x-secret"], "no");
  // a gRPC client gets a gRPC status, with the content type gRPC needs
  auto g = ext_authz_verdict(answer(403, "x"), open, 20, true);
  ASSERT_TRUE(g.reply);
  EXPECT_EQ((*g.reply)[http::field::content_type], "application/grpc");
}

TEST(Verdict, NoAnswerFailsClosedOrOpen) {
  auto p = provider();
  auto closed = ext_authz_verdict(std::nullopt, p, 11, false);
  EXPECT_FALSE(closed.allowed);
  EXPECT_EQ(closed.reply->result_int(), 403);
  EXPECT_EQ(closed.details, "ext_authz_error");
  p.status_on_error = "503";
  EXPECT_EQ(ext_authz_verdict(std::nullopt, p, 11, false).reply->result_int(), 503);
  p.status_on_error = "bogus";
  EXPECT_EQ(ext_authz_verdict(std::nullopt, p, 11, false).reply->result_int(), 403);
  p.fail_open = true;
  auto open = ext_authz_verdict(std::nullopt, p, 11, false);
  EXPECT_TRUE(open.allowed);
  EXPECT_FALSE(open.reply);
}

}  // namespace
}  // namespace zmesh::l7
