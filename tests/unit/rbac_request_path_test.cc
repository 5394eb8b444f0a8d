// The path AuthorizationPolicy matches (rbac/request_path.h): Istio's default normalisation
// (BASE = Envoy normalize_path: RFC 3986 dot segments, unreserved escapes decoded, other
// escapes upper-cased and kept, no slash merging, no query), and the {*} / {**} templates.
#include <gtest/gtest.h>

#include "rbac/request_path.h"

namespace zmesh::rbac {
namespace {

TEST(RequestPath, NormalisationTable) {
  struct Case {
    const char* raw;
    const char* want;  // nullptr: rejected (Envoy answers 400)
  };
  const Case cases[] = {
      {"/", "/"},
      {"/a/b", "/a/b"},
      {"/a/b?x=1", "/a/b"},  // the query is not part of the path
      {"/a/b#frag", "/a/b"},
      {"/a/./b", "/a/b"},
      {"/a/../b", "/b"},
      {"/a/b/..", "/a/"},
      {"/a/b/.", "/a/b/"},
      {"/../../admin", "/admin"},  // never above the root
      {"/public/../admin?x=/public", "/admin"},
      {"//a//b", "//a//b"},   // BASE does not merge slashes
      {"/a/%2e%2e/b", "/b"},  // escaped dots are dots (unreserved, decoded first)
      {"/a/%2E%2E/b", "/b"},
      {"/a/.%2e/b", "/b"},
      {"/%61dmin", "/admin"},        // %61 = 'a'
      {"/a%2Fb", "/a%2Fb"},          // an escaped slash stays a character
      {"/a%2fb", "/a%2Fb"},          // ... with upper-case hex
      {"/a/%2f../b", "/a/%2F../b"},  // "%2F.." is one segment, not a dot segment
      {"/x%20y", "/x%20y"},          // reserved/other escapes kept
      {"/x%7e", "/x~"},              // '~' is unreserved
      {"/caf%C3%A9", "/caf%C3%A9"},
      {"/a/%zz", nullptr},
      {"/a/%4", nullptr},
      {"a/b", nullptr},  // not origin-form
      {"", nullptr},
  };
  for (const auto& c : cases) {
    auto got = normalize_path(c.raw);
    if (!c.want) {
      EXPECT_FALSE(got) << c.raw << " -> " << (got ? *got : "");
    } else {
      ASSERT_TRUE(got) << c.raw << ": " << got.error().message;
      EXPECT_EQ(*got, c.want) << c.raw;
    }
  }
}

TEST(RequestPath, TemplatesAndStringsTable) {
  struct Case {
    const char* pattern;
    const char* path;
    bool match;
  };
  const Case cases[] = {
      {"/products", "/products", true},
      {"/products", "/products/1", false},
      {"/products*", "/products/1", true},  // prefix
      {"*.json", "/a/b.json", true},        // suffix
      {"*", "/", true},                     // presence
      {"/store/{*}/items", "/store/42/items", true},
      {"/store/{*}/items", "/store/items", false},  // {*}: exactly one segment
      {"/store/{*}/items", "/store/4/2/items", false},
      {"/store/{*}/items", "/store//items", false},  // ... not an empty one
      {"/store/{**}", "/store/a/b/c", true},         // {**}: any depth
      {"/store/{**}", "/store/", true},
      {"/store/{**}", "/store", true},
      {"/store/{**}", "/storefront/a", false},
      {"/v1/{*}.json", "/v1/item.json", true},  // an operator inside a segment
      {"/v1/{*}.json", "/v1/.json", false},
      {"/{*}/{*}", "/a/b", true},
      {"/{*}/{*}", "/a", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(path_matches(c.pattern, c.path), c.match) << c.pattern << " vs " << c.path;
}

}  // namespace
}  // namespace zmesh::rbac
