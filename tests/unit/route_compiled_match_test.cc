// HTTPMatchRequest semantics, one table per match kind (positive and negative rows): what
// Envoy does with Istio's translation (TranslateRouteMatch) for each field, fields ANDed.
#include <gtest/gtest.h>

#include <vector>

#include "route/compiled_match.h"
#include "route_test_request.h"

namespace zmesh::route {
namespace {

using testing::exact;
using testing::get;
using testing::prefix;
using testing::regex;
using testing::TestRequest;

struct Row {
  const char* what;
  TestRequest request;
  bool want;
};

void expect_table(const state::HttpMatchRequest& m, const std::vector<Row>& rows) {
  std::vector<std::string> errors;
  CompiledMatch c = CompiledMatch::compile(&m, &errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  for (const Row& row : rows) {
    EXPECT_EQ(c.matches(row.request.view()), row.want) << row.what;
  }
}

TestRequest with(TestRequest r, void (*edit)(TestRequest&)) {
  edit(r);
  return r;
}

TEST(RouteMatchUri, Exact) {
  state::HttpMatchRequest m;
  m.uri = exact("/api");
  expect_table(m, {{"same path", get("/api"), true},
                   {"query is not part of the path", get("/api?x=1"), true},
                   {"trailing slash", get("/api/"), false},
                   {"case differs", get("/API"), false},
                   {"shorter", get("/ap"), false}});
}

TEST(RouteMatchUri, ExactIgnoreCase) {
  state::HttpMatchRequest m;
  m.uri = exact("/api");
  m.ignore_uri_case = true;
  expect_table(m, {{"upper case", get("/API"), true},
                   {"mixed case with query", get("/Api?q=1"), true},
                   {"longer", get("/api2"), false}});
}

TEST(RouteMatchUri, Prefix) {
  state::HttpMatchRequest m;
  m.uri = prefix("/api");
  expect_table(m, {{"equal", get("/api"), true},
                   {"below", get("/api/v1"), true},
                   {"character prefix, not segment", get("/apis"), true},
                   {"shorter", get("/ap"), false},
                   {"elsewhere", get("/x/api"), false},
                   {"case differs", get("/API/v1"), false},
                   {"only in the query", get("/x?p=/api"), false}});
}

TEST(RouteMatchUri, PrefixIgnoreCase) {
  state::HttpMatchRequest m;
  m.uri = prefix("/api");
  m.ignore_uri_case = true;
  expect_table(m, {{"upper case", get("/API/v1"), true}, {"other", get("/APX"), false}});
}

TEST(RouteMatchUri, RegexMustMatchTheWholePath) {
  state::HttpMatchRequest m;
  m.uri = regex("/api/v[0-9]+");
  m.ignore_uri_case = true;  // not applied to regexes
  expect_table(m, {{"full match", get("/api/v1"), true},
                   {"query ignored", get("/api/v12?x=1"), true},
                   {"extra suffix", get("/api/v1/extra"), false},
                   {"extra prefix", get("/x/api/v1"), false},
                   {"case differs despite ignoreUriCase", get("/API/v1"), false}});
}

TEST(RouteMatchPseudo, Method) {
  state::HttpMatchRequest m;
  m.method = regex("GET|HEAD");
  auto post = get("/");
  post.method = "POST";
  auto lower = get("/");
  lower.method = "get";
  auto head = get("/");
  head.method = "HEAD";
  expect_table(m, {{"GET", get("/"), true},
                   {"HEAD", head, true},
                   {"POST", post, false},
                   {"case sensitive", lower, false}});
}

TEST(RouteMatchPseudo, AuthorityAndScheme) {
  state::HttpMatchRequest m;
  m.authority = prefix("reviews");
  m.scheme = exact("http");
  auto other_host = get("/");
  other_host.authority = "ratings:9080";
  auto https = get("/");
  https.scheme = "https";
  expect_table(m, {{"prefix of host:port", get("/"), true},
                   {"other host", other_host, false},
                   {"other scheme", https, false}});
}

TEST(RouteMatchHeaders, ValueMatches) {
  state::HttpMatchRequest m;
  m.headers["end-user"] = exact("jason");
  expect_table(m, {{"equal", get("/", {{"end-user", "jason"}}), true},
                   {"name case-insensitive", get("/", {{"End-User", "jason"}}), true},
                   {"value case-sensitive", get("/", {{"end-user", "Jason"}}), false},
                   {"absent", get("/"), false},
                   {"repeated fields are joined with ','",
                    get("/", {{"end-user", "jason"}, {"end-user", "x"}}), false}});
}

TEST(RouteMatchHeaders, PrefixRegexAndJoinedValues) {
  state::HttpMatchRequest m;
  m.headers["x-ver"] = prefix("v1");
  m.headers["x-id"] = regex("[0-9]+,[0-9]+");
  expect_table(
      m, {{"both", get("/", {{"x-ver", "v1.2"}, {"x-id", "1"}, {"x-id", "2"}}), true},
          {"regex on one field only", get("/", {{"x-ver", "v1"}, {"x-id", "12"}}), false},
          {"prefix fails", get("/", {{"x-ver", "v2"}, {"x-id", "1"}, {"x-id", "2"}}), false}});
}

TEST(RouteMatchHeaders, PresenceMatchesAnyValue) {
  state::HttpMatchRequest m;
  m.headers["x-debug"] = std::nullopt;  // `{}` or `regex: "*"`
  expect_table(m, {{"present", get("/", {{"x-debug", "1"}}), true},
                   {"present and empty", get("/", {{"x-debug", ""}}), true},
                   {"absent", get("/", {{"x-other", "1"}}), false}});
}

TEST(RouteMatchHeaders, PseudoHeadersAndIgnoredKeys) {
  state::HttpMatchRequest m;
  m.headers[":path"] = prefix("/a");
  m.headers["method"] = exact("POST");  // ignored, per the API: use `method`
  expect_table(m, {{"GET still matches", get("/a"), true}, {"path differs", get("/b"), false}});
  state::HttpMatchRequest host;
  host.headers["host"] = exact("reviews:9080");  // Envoy's alias of :authority
  expect_table(host, {{"authority", get("/"), true},
                      {"other authority", with(get("/"), [](TestRequest& r) { r.authority = "x"; }),
                       false}});
}

TEST(RouteMatchWithoutHeaders, ValueInvertedMissingIsEmpty) {
  state::HttpMatchRequest m;
  m.without_headers["x-canary"] = exact("true");
  expect_table(m, {{"absent", get("/"), true},
                   {"other value", get("/", {{"x-canary", "false"}}), true},
                   {"the value", get("/", {{"x-canary", "true"}}), false}});
  state::HttpMatchRequest empty_prefix;
  empty_prefix.without_headers["x-a"] = prefix("");  // matches "" too, so never when inverted
  expect_table(empty_prefix, {{"absent reads as \"\"", get("/"), false},
                              {"present", get("/", {{"x-a", "1"}}), false}});
}

TEST(RouteMatchWithoutHeaders, PresenceInvertedIsAbsence) {
  state::HttpMatchRequest m;
  m.without_headers["x-debug"] = std::nullopt;
  expect_table(m, {{"absent", get("/"), true}, {"present", get("/", {{"x-debug", ""}}), false}});
}

TEST(RouteMatchQueryParams, Exact) {
  state::HttpMatchRequest m;
  m.query_params["v"] = exact("1");
  expect_table(m, {{"equal", get("/?v=1"), true},
                   {"among others", get("/p?a=2&v=1"), true},
                   {"longer", get("/?v=10"), false},
                   {"first value counts", get("/?v=2&v=1"), false},
                   {"not decoded", get("/?v=%31"), false},
                   {"absent", get("/?w=1"), false},
                   {"no query", get("/"), false},
                   {"key without value", get("/?v"), false}});
}

TEST(RouteMatchQueryParams, EmptyExactMeansKeyWithoutValue) {
  state::HttpMatchRequest m;
  m.query_params["debug"] = exact("");
  expect_table(m, {{"?debug", get("/?debug"), true},
                   {"?debug=", get("/?debug="), true},
                   {"with a value", get("/?debug=1"), false},
                   {"absent", get("/"), false}});
}

TEST(RouteMatchQueryParams, PresenceAndRegex) {
  state::HttpMatchRequest m;
  m.query_params["v"] = std::nullopt;
  m.query_params["id"] = regex("[0-9]+");
  expect_table(m, {{"both", get("/?v&id=12"), true},
                   {"regex partial", get("/?v=1&id=1a"), false},
                   {"presence missing", get("/?id=1"), false}});
}

TEST(RouteMatchPort, ComparesTheServicePort) {
  state::HttpMatchRequest m;
  m.port = 9080;
  auto other = get("/");
  other.port = 80;
  expect_table(m, {{"same", get("/"), true}, {"other", other, false}});
}

TEST(RouteMatchSource, LabelsAreASubsetAndNamespaceEqual) {
  state::HttpMatchRequest m;
  m.source_labels = {{"app", "productpage"}};
  m.source_namespace = "frontend";
  auto ok = get("/");
  ok.labels = {{"app", "productpage"}, {"version", "v1"}};
  ok.ns = "frontend";
  auto wrong_label = ok;
  wrong_label.labels = {{"app", "reviews"}};
  auto no_labels = ok;
  no_labels.labels.clear();
  auto wrong_ns = ok;
  wrong_ns.ns = "default";
  expect_table(m, {{"superset of labels", ok, true},
                   {"other label value", wrong_label, false},
                   {"no labels", no_labels, false},
                   {"other namespace", wrong_ns, false}});
}

TEST(RouteMatchGateways, MeshSkipsSourceChecksOtherGatewaysNeverMatch) {
  state::HttpMatchRequest mesh;
  mesh.gateways = {"mesh"};
  mesh.source_labels = {{"app", "nobody"}};
  expect_table(mesh, {{"source labels not consulted", get("/"), true}});
  state::HttpMatchRequest gw;
  gw.gateways = {"istio-system/ingress"};
  expect_table(gw, {{"gateway only", get("/"), false}});
}

TEST(RouteMatchAnd, EveryFieldMustMatch) {
  state::HttpMatchRequest m;
  m.uri = prefix("/ratings");
  m.headers["end-user"] = exact("jason");
  m.query_params["v"] = exact("2");
  expect_table(m, {{"all", get("/ratings/1?v=2", {{"end-user", "jason"}}), true},
                   {"uri fails", get("/reviews?v=2", {{"end-user", "jason"}}), false},
                   {"header fails", get("/ratings?v=2"), false},
                   {"query fails", get("/ratings?v=1", {{"end-user", "jason"}}), false}});
}

TEST(RouteMatchJwtClaims, NoClaimsReachRoutingYet) {
  state::HttpMatchRequest m;
  m.headers["@request.auth.claims.group"] = exact("admin");
  expect_table(m, {{"a header of that name is not a claim",
                    get("/", {{"@request.auth.claims.group", "admin"}}), false}});
  state::HttpMatchRequest without;
  without.without_headers["@request.auth.claims.group"] = exact("admin");
  expect_table(without, {{"inverted claim match holds", get("/"), true}});
}

TEST(RouteMatchCatchAll, NoMatchIsPrefixSlash) {
  CompiledMatch c = CompiledMatch::compile(nullptr, nullptr);
  auto star = get("*");
  star.method = "OPTIONS";
  EXPECT_TRUE(c.matches(get("/").view()));
  EXPECT_TRUE(c.matches(get("/any/thing?x").view()));
  EXPECT_FALSE(c.matches(star.view()));  // asterisk-form is not under "/"
  EXPECT_EQ(c.matched_length("/any"), 1u);
}

TEST(RouteMatchErrors, BrokenRegexNeverMatchesAndIsReported) {
  state::HttpMatchRequest m;
  m.headers["x"] = regex("(");
  std::vector<std::string> errors;
  CompiledMatch c = CompiledMatch::compile(&m, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("regex \"(\""), std::string::npos) << errors[0];
  EXPECT_FALSE(c.matches(get("/", {{"x", "("}}).view()));
}

TEST(RouteMatchedLength, PrefixOrWholePath) {
  state::HttpMatchRequest p;
  p.uri = prefix("/api");
  state::HttpMatchRequest e;
  e.uri = exact("/login");
  state::HttpMatchRequest r;
  r.uri = regex("/a/.*");
  EXPECT_EQ(CompiledMatch::compile(&p, nullptr).matched_length("/api/v1?x"), 4u);
  EXPECT_EQ(CompiledMatch::compile(&e, nullptr).matched_length("/login?next=/"), 6u);
  EXPECT_EQ(CompiledMatch::compile(&r, nullptr).matched_length("/a/bc?d"), 5u);
}

}  // namespace
}  // namespace zmesh::route
