// The consistent-hash key of a request: XXH64 (checked against reference vectors) of a header,
// cookie, source IP or query parameter; a generated cookie when absent (decision: as Envoy).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "upstream/http_cookie.h"
#include "upstream/request_hash.h"
#include "upstream/xxhash64.h"

namespace zmesh::upstream {
namespace {

using Key = state::ConsistentHashLb::Key;
using namespace std::chrono_literals;

TEST(Xxhash64, ReferenceVectors) {
  // From the xxHash library (libxxhash 0.8.1, XXH64).
  EXPECT_EQ(xxhash64(""), 0xef46db3751d8e999ULL);
  EXPECT_EQ(xxhash64("a"), 0xd24ec4f1a98c6e5bULL);
  EXPECT_EQ(xxhash64("abc"), 0x44bc2cf5ad770999ULL);
  EXPECT_EQ(xxhash64("10.0.0.7:8080_0"), 0xb2d24a5432f3e6d4ULL);
  EXPECT_EQ(xxhash64("The quick brown fox jumps over the lazy dog"), 0x0b242d361fda71bcULL);
  EXPECT_EQ(xxhash64("The quick brown fox jumps over the lazy dog", 1), 0xdf5091b6dad2c6dbULL);
  EXPECT_EQ(xxhash64("42", 1), 0x3a6fba19df4121f6ULL);
}

struct Request {
  std::map<std::string, std::string> headers;  // lowercase names
  std::string path = "/";
  std::string source_ip = "10.1.2.3";
  std::string connection = "10.1.2.3:40000 10.9.9.9:15001";

  RequestHashInput input() const {
    return {[this](std::string_view name) -> std::optional<std::string_view> {
              auto it = headers.find(std::string(name));
              if (it == headers.end()) return std::nullopt;
              return std::string_view(it->second);
            },
            path, source_ip, connection};
  }
};

state::ConsistentHashLb by(Key key, const std::string& name = "") {
  state::ConsistentHashLb c;
  c.key = key;
  c.http_header_name = c.http_query_parameter_name = name;
  c.http_cookie.name = name;
  c.http_cookie.path = "/";
  c.http_cookie.ttl = 60s;
  return c;
}

TEST(RequestHash, HeaderValueWithCaseInsensitiveName) {
  Request r;
  r.headers["x-user"] = "alice";
  auto h = request_hash(by(Key::kHttpHeaderName, "X-User"), r.input());
  EXPECT_EQ(h.hash, xxhash64("alice"));
  EXPECT_FALSE(h.set_cookie);
  r.headers.clear();
  EXPECT_FALSE(request_hash(by(Key::kHttpHeaderName, "x-user"), r.input()).hash);
}

TEST(RequestHash, SourceIp) {
  Request r;
  EXPECT_EQ(request_hash(by(Key::kUseSourceIp), r.input()).hash, xxhash64("10.1.2.3"));
  r.source_ip.clear();
  EXPECT_FALSE(request_hash(by(Key::kUseSourceIp), r.input()).hash);
}

TEST(RequestHash, QueryParameterRawFirstOccurrence) {
  Request r;
  r.path = "/shop?a=1&user=b%20ob&user=eve";
  EXPECT_EQ(request_hash(by(Key::kHttpQueryParameterName, "user"), r.input()).hash,
            xxhash64("b%20ob"));
  EXPECT_EQ(find_query_parameter("/p?flag&x=1", "flag"), std::string_view(""));
  EXPECT_FALSE(find_query_parameter("/p?userx=1", "user"));
  EXPECT_FALSE(find_query_parameter("/p#user=1", "user"));
}

TEST(RequestHash, CookiePresentIsHashedAndNotSetAgain) {
  Request r;
  r.headers["cookie"] = "theme=dark; session=\"abc123\"";
  auto h = request_hash(by(Key::kHttpCookie, "session"), r.input());
  EXPECT_EQ(h.hash, xxhash64("abc123"));
  EXPECT_FALSE(h.set_cookie);
  r.headers["cookie"] = "session=";  // empty: as absent, a new one is made
  EXPECT_TRUE(request_hash(by(Key::kHttpCookie, "session"), r.input()).set_cookie);
}

TEST(RequestHash, CookieAbsentIsGeneratedAndTheNextRequestHashesAlike) {
  Request r;
  auto config = by(Key::kHttpCookie, "session");
  config.http_cookie.attributes = {{"SameSite", "Lax"}, {"Secure", ""}};
  auto first = request_hash(config, r.input());
  ASSERT_TRUE(first.hash);
  ASSERT_TRUE(first.set_cookie);
  // session="<16 hex digits>"; Max-Age=60; Path=/; SameSite=Lax; Secure; HttpOnly
  const std::string& sc = *first.set_cookie;
  ASSERT_EQ(sc.rfind("session=\"", 0), 0u) << sc;
  std::string value = sc.substr(9, 16);
  EXPECT_EQ(sc.substr(25), "\"; Max-Age=60; Path=/; SameSite=Lax; Secure; HttpOnly");
  EXPECT_EQ(value.find_first_not_of("0123456789abcdef"), std::string::npos);

  Request next;
  next.connection = "10.1.2.3:40001 10.9.9.9:15001";  // another connection, same cookie
  next.headers["cookie"] = "session=" + value;
  EXPECT_EQ(request_hash(config, next.input()).hash, first.hash);
}

TEST(RequestHash, SessionCookieWhenTtlIsZeroAndNoneWithoutTtl) {
  Request r;
  auto config = by(Key::kHttpCookie, "s");
  config.http_cookie.ttl = 0s;
  auto h = request_hash(config, r.input());
  ASSERT_TRUE(h.set_cookie);
  EXPECT_EQ(h.set_cookie->find("Max-Age"), std::string::npos);
  config.http_cookie.ttl.reset();
  h = request_hash(config, r.input());
  EXPECT_FALSE(h.hash);
  EXPECT_FALSE(h.set_cookie);
}

TEST(HttpCookie, FindsByExactNameAndUnquotes) {
  EXPECT_EQ(find_cookie("a=1; b=2", "b"), std::string_view("2"));
  EXPECT_EQ(find_cookie("ab=1;  a=\"x y\"", "a"), std::string_view("x y"));
  EXPECT_EQ(find_cookie("a=1; a=2", "a"), std::string_view("1"));
  EXPECT_FALSE(find_cookie("ab=1; xa=2", "a"));
  EXPECT_EQ(set_cookie_value("n", "v", "", 0s, {}), "n=\"v\"; HttpOnly");
}

}  // namespace
}  // namespace zmesh::upstream
