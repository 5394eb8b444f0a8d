// HTTPRewrite: `uri` replaces what the route matched, `uriRegexRewrite` substitutes in the path
// (query kept), `authority` and header-operation host rewrites pick the outgoing :authority.
#include <gtest/gtest.h>

#include <vector>

#include "route/authority_rewrite.h"
#include "route/path_rewrite.h"
#include "route_test_request.h"

namespace zmesh::route {
namespace {

using testing::exact;
using testing::prefix;
using testing::regex;

struct Row {
  const char* what;
  std::optional<state::StringMatch> uri;  // the route's match; nullopt: no match[]
  bool ignore_case;
  state::HttpRewrite rewrite;
  std::string path;
  std::optional<std::string> want;
};

state::HttpRewrite uri(std::string u) {
  state::HttpRewrite r;
  r.uri = std::move(u);
  return r;
}

state::HttpRewrite regex_rewrite(std::string match, std::string sub) {
  state::HttpRewrite r;
  r.uri_regex_rewrite = state::HttpRewrite::RegexRewrite{std::move(match), std::move(sub)};
  return r;
}

TEST(RoutePathRewrite, Table) {
  state::HttpRewrite authority_only;
  authority_only.authority = "other";
  std::vector<Row> rows = {
      {"prefix replaced, rest and query kept", prefix("/v1"), false, uri("/v2"), "/v1/items?x=1",
       "/v2/items?x=1"},
      {"case-insensitive prefix replaced by length", prefix("/v1"), true, uri("/v2"), "/V1/items",
       "/v2/items"},
      {"strip a prefix", prefix("/api/"), false, uri("/"), "/api/users", "/users"},
      {"exact match: whole path", exact("/login"), false, uri("/auth/login"), "/login?next=1",
       "/auth/login?next=1"},
      {"regex match: whole path", regex("/a/.*"), false, uri("/b"), "/a/x?q", "/b?q"},
      {"no match[]: the prefix is \"/\"", std::nullopt, false, uri("/v2/"), "/x", "/v2/x"},
      {"regex rewrite with groups", std::nullopt, false,
       regex_rewrite("^/service/([^/]+)(/.*)$", "\\2/instance/\\1"), "/service/foo/v1/api?x=1",
       "/v1/api/instance/foo?x=1"},
      {"regex rewrite replaces every match", std::nullopt, false, regex_rewrite("o", "0"),
       "/foo/boo?o=o", "/f00/b00?o=o"},
      {"regex rewrite without a match leaves the path", std::nullopt, false,
       regex_rewrite("^/nope", "/x"), "/foo", "/foo"},
      {"authority only: path untouched", prefix("/"), false, authority_only, "/foo", std::nullopt},
  };
  for (const Row& row : rows) {
    state::HttpMatchRequest m;
    m.uri = row.uri;
    m.ignore_uri_case = row.ignore_case;
    CompiledMatch match = CompiledMatch::compile(row.uri ? &m : nullptr, nullptr);
    std::vector<std::string> errors;
    PathRewrite rw = PathRewrite::compile(row.rewrite, &errors);
    EXPECT_TRUE(errors.empty()) << row.what;
    EXPECT_EQ(rw.apply(row.path, match), row.want) << row.what;
  }
}

TEST(RoutePathRewrite, BrokenRegexIsReportedAndRewritesNothing) {
  std::vector<std::string> errors;
  PathRewrite rw = PathRewrite::compile(regex_rewrite("(", "x"), &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(rw.apply("/(", CompiledMatch::compile(nullptr, nullptr)), std::nullopt);
}

state::HttpRoute two_destinations() {
  state::HttpRoute r;
  r.route.resize(2);
  r.route[0].headers.request.set[":authority"] = "dest0";
  return r;
}

TEST(RouteAuthorityRewrite, RouteLevelWinsDestinationFillsIn) {
  state::HttpRoute r = two_destinations();
  EXPECT_EQ(rewritten_authority(r, 0), "dest0");
  EXPECT_EQ(rewritten_authority(r, 1), std::nullopt);
  EXPECT_EQ(rewritten_authority(r, std::nullopt), std::nullopt);

  r.headers.request.add["Host"] = "added";
  EXPECT_EQ(rewritten_authority(r, 0), "added");
  r.headers.request.set["host"] = "set";  // set wins over add
  EXPECT_EQ(rewritten_authority(r, 0), "set");
  r.rewrite = state::HttpRewrite{};
  r.rewrite->authority = "rewritten";  // rewrite.authority wins over header operations
  EXPECT_EQ(rewritten_authority(r, 0), "rewritten");
}

TEST(RouteAuthorityRewrite, EmptyValuesAreNoRewrite) {
  state::HttpRoute r = two_destinations();
  r.headers.request.set[":authority"] = "";
  EXPECT_EQ(rewritten_authority(r, 0), "dest0");
}

}  // namespace
}  // namespace zmesh::route
