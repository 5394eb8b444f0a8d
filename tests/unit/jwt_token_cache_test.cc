// The verified-token cache: hits, expiry at exp + skew, LRU eviction, per-verifier keys.
#include <gtest/gtest.h>

#include "jwt/token_cache.h"

namespace zmesh::jwt {
namespace {

std::shared_ptr<const VerifiedToken> verified(std::optional<uint64_t> exp, std::string sub = "") {
  auto v = std::make_shared<VerifiedToken>();
  v->exp = exp;
  v->subject = std::move(sub);
  return v;
}

TEST(TokenCacheTest, HitUntilExpiryPlusSkew) {
  TokenCache cache;
  uint64_t now = 1000;  // the injected clock
  EXPECT_EQ(cache.find(1, "tok", now), nullptr);
  cache.insert(1, "tok", verified(2000, "alice"));
  auto hit = cache.find(1, "tok", now);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->subject, "alice");
  EXPECT_EQ(cache.find(2, "tok", now), nullptr);  // another rule or key set
  EXPECT_EQ(cache.find(1, "tok2", now), nullptr);
  now = 2000 + kClockSkewSeconds;
  EXPECT_NE(cache.find(1, "tok", now), nullptr);
  now += 1;
  EXPECT_EQ(cache.find(1, "tok", now), nullptr);
  EXPECT_EQ(cache.size(), 0u);  // dropped once expired
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 4u);
}

TEST(TokenCacheTest, NoExpStaysUntilEvicted) {
  TokenCache cache;
  cache.insert(1, "forever", verified(std::nullopt));
  EXPECT_NE(cache.find(1, "forever", UINT64_MAX / 2), nullptr);
}

TEST(TokenCacheTest, EvictsLeastRecentlyUsed) {
  TokenCache cache(3);
  cache.insert(1, "a", verified(100));
  cache.insert(1, "b", verified(100));
  cache.insert(1, "c", verified(100));
  ASSERT_NE(cache.find(1, "a", 0), nullptr);  // a is now the most recent
  cache.insert(1, "d", verified(100));        // evicts b
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find(1, "b", 0), nullptr);
  EXPECT_NE(cache.find(1, "a", 0), nullptr);
  EXPECT_NE(cache.find(1, "c", 0), nullptr);
  EXPECT_NE(cache.find(1, "d", 0), nullptr);
  // Re-inserting a token replaces its entry, without growing.
  cache.insert(1, "d", verified(100, "new"));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find(1, "d", 0)->subject, "new");
}

}  // namespace
}  // namespace zmesh::jwt
