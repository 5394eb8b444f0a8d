// JwksStore: inline key sets parsed once, fetched documents replacing keys with a new version,
// bad documents keeping the previous keys, status, and readers racing the writer.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "jwt/jwks_store.h"
#include "jwt_test_tokens.h"

namespace zmesh::jwt {
namespace {

std::string jwks_with(std::initializer_list<const char*> kids) {
  std::string out = R"({"keys":[)";
  bool first = true;
  for (const char* kid : kids) {
    auto key = test::generate_key("EC", "P-256");
    if (!first) out += ",";
    first = false;
    out += test::public_jwk(key.get(), kid).dump();
  }
  return out + "]}";
}

state::JwtRule uri_rule(const std::string& uri) {
  state::JwtRule rule;
  rule.issuer = "https://issuer.example";
  rule.jwks_uri = uri;
  return rule;
}

TEST(JwksStore, InlineJwksIsParsedOnceAndKept) {
  JwksStore store;
  state::JwtRule rule;
  rule.issuer = "inline";
  rule.jwks = jwks_with({"a", "b"});
  auto first = store.keys_for(rule);
  ASSERT_TRUE(first.keys);
  EXPECT_EQ(first.keys->keys.size(), 2u);
  EXPECT_NE(first.version, 0u);
  auto again = store.keys_for(rule);
  EXPECT_EQ(again.keys.get(), first.keys.get());  // the same parse
  EXPECT_EQ(again.version, first.version);

  state::JwtRule other = rule;
  other.jwks = jwks_with({"c"});
  auto second = store.keys_for(other);
  ASSERT_TRUE(second.keys);
  EXPECT_NE(second.version, first.version);
  EXPECT_EQ(store.status()["inlineJwks"], 2);
}

TEST(JwksStore, BadInlineJwksGivesNoKeysEveryTime) {
  JwksStore store;
  state::JwtRule rule;
  rule.jwks = "not json";
  EXPECT_FALSE(store.keys_for(rule).keys);
  EXPECT_FALSE(store.keys_for(rule).keys);  // cached: logged once
  EXPECT_EQ(store.keys_for(rule).version, 0u);
}

TEST(JwksStore, UriKeysFollowUpdates) {
  JwksStore store;
  auto rule = uri_rule("https://keys.example/jwks");
  EXPECT_FALSE(store.keys_for(rule).keys);  // never fetched
  EXPECT_EQ(store.keys_for(rule).version, 0u);

  ASSERT_TRUE(store.update(rule.jwks_uri, jwks_with({"k1"})).ok());
  auto first = store.keys_for(rule);
  ASSERT_TRUE(first.keys);
  EXPECT_EQ(first.keys->keys[0].kid, "k1");

  ASSERT_TRUE(store.update(rule.jwks_uri, jwks_with({"k2", "k3"})).ok());
  auto rotated = store.keys_for(rule);
  ASSERT_TRUE(rotated.keys);
  EXPECT_EQ(rotated.keys->keys.size(), 2u);
  EXPECT_GT(rotated.version, first.version);
  EXPECT_EQ(first.keys->keys[0].kid, "k1");  // a reader's old set stays valid

  EXPECT_FALSE(store.keys_for(uri_rule("https://keys.example/other")).keys);
}

TEST(JwksStore, BadDocumentKeepsThePreviousKeys) {
  JwksStore store;
  const std::string uri = "https://keys.example/jwks";
  ASSERT_TRUE(store.update(uri, jwks_with({"k1"})).ok());
  auto good = store.keys_for(uri_rule(uri));

  auto bad = store.update(uri, "<html>oops</html>");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("Jwks is an invalid JSON"), std::string::npos)
      << bad.error().message;
  auto after = store.keys_for(uri_rule(uri));
  EXPECT_EQ(after.keys.get(), good.keys.get());
  EXPECT_EQ(after.version, good.version);

  auto status = store.status()["jwksUris"];
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0]["uri"], uri);
  EXPECT_EQ(status[0]["keys"], 1);
  EXPECT_TRUE(status[0].contains("lastOk"));
  EXPECT_NE(status[0]["lastError"].get<std::string>().find("invalid JSON"), std::string::npos);

  store.failed(uri, "connect: Connection refused");
  EXPECT_EQ(store.status()["jwksUris"][0]["lastError"], "connect: Connection refused");
  EXPECT_EQ(store.keys_for(uri_rule(uri)).keys.get(), good.keys.get());

  ASSERT_TRUE(store.update(uri, jwks_with({"k2"})).ok());
  EXPECT_FALSE(store.status()["jwksUris"][0].contains("lastError"));

  store.forget(uri);
  EXPECT_FALSE(store.keys_for(uri_rule(uri)).keys);
  EXPECT_TRUE(store.status()["jwksUris"].empty());
}

TEST(JwksStore, ConcurrentReadersSeeWholeKeySets) {
  JwksStore store;
  const std::string uri = "https://keys.example/jwks";
  std::vector<std::string> documents = {jwks_with({"a"}), jwks_with({"b", "b"}),
                                        jwks_with({"c", "c", "c"})};
  ASSERT_TRUE(store.update(uri, documents[0]).ok());
  state::JwtRule inline_rule;
  inline_rule.jwks = documents[2];

  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      uint64_t last = 0;
      while (!stop.load()) {
        auto keys = store.keys_for(uri_rule(uri));
        // Each set is whole: its size names its kids; versions never go back.
        if (!keys.keys || keys.keys->keys.empty() || keys.version < last) ++bad;
        if (keys.keys && keys.keys->keys.size() == 2 && keys.keys->keys[1].kid != "b") ++bad;
        last = keys.version;
        if (!store.keys_for(inline_rule).keys) ++bad;
      }
    });
  }
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(store.update(uri, documents[i % 3]).ok());
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace zmesh::jwt
