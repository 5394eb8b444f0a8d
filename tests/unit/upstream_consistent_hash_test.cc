// Ring hash and Maglev: the same key always reaches the same endpoint, removing one endpoint
// moves (almost) only its keys, weights shape the shares, and the balancer rebuilds around
// ejected endpoints.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "upstream/consistent_hash_balancer.h"
#include "upstream/hash_ring.h"
#include "upstream/maglev_table.h"
#include "upstream/xxhash64.h"
#include "upstream_test_endpoints.h"

namespace zmesh::upstream {
namespace {

using Algorithm = ConsistentHashBalancer::Algorithm;

std::vector<HashTableEntry> entries(size_t n, uint32_t weight = 1) {
  std::vector<HashTableEntry> out;
  for (size_t i = 0; i < n; ++i) out.push_back({i, 1000 + i, weight});
  return out;
}

uint64_t key(int k) {
  return xxhash64("user-" + std::to_string(k));
}

// Which endpoint id each of `keys` keys lands on.
template <typename Table>
std::vector<uint64_t> owners(const Table& table, const std::vector<HashTableEntry>& built,
                             int keys) {
  std::vector<uint64_t> out;
  for (int k = 0; k < keys; ++k) out.push_back(built[table.lookup(key(k))].id);
  return out;
}

// Of the keys not on `removed`, the fraction that changed owner after removing it; and
// whether every key of `removed` went elsewhere.
template <typename Table>
double moved_among_survivors(uint64_t removed, size_t n, uint64_t size) {
  auto all = entries(n);
  auto rest = all;
  rest.erase(std::remove_if(rest.begin(), rest.end(), [&](auto& e) { return e.id == removed; }),
             rest.end());
  for (size_t i = 0; i < rest.size(); ++i) rest[i].index = i;
  const int keys = 20'000;
  auto before = owners(Table(all, size), all, keys);
  auto after = owners(Table(rest, size), rest, keys);
  int survivors = 0, moved = 0;
  for (int k = 0; k < keys; ++k) {
    if (before[k] == removed) {
      EXPECT_NE(after[k], removed);
      continue;
    }
    ++survivors;
    moved += before[k] != after[k] ? 1 : 0;
  }
  return static_cast<double>(moved) / survivors;
}

TEST(HashRing, RingSizeFollowsEnvoyScaling) {
  EXPECT_EQ(HashRing(entries(10), 1024).size(), 1030u);  // ceil(1024 / 10) = 103 each
  EXPECT_EQ(HashRing(entries(4), 0).size(), 1024u);      // 0: the default 1024
  std::vector<HashTableEntry> w = {{0, 1, 1}, {1, 2, 3}};
  EXPECT_EQ(HashRing(w, 1024).size(), 1024u);  // 256 + 768 points
  EXPECT_EQ(HashRing(entries(3), 4096).size(), 4098u);
}

TEST(HashRing, SameKeySameEndpointAcrossBuilds) {
  auto all = entries(8);
  auto reversed = all;
  std::reverse(reversed.begin(), reversed.end());
  for (size_t i = 0; i < reversed.size(); ++i) reversed[i].index = i;
  HashRing a(all, 1024), b(reversed, 1024);
  for (int k = 0; k < 2000; ++k) {
    EXPECT_EQ(all[a.lookup(key(k))].id, reversed[b.lookup(key(k))].id) << k;
  }
}

TEST(HashRing, RemovingOneEndpointMovesLittleElse) {
  // Envoy rescales the ring (ceil(1024/9) = 114 points instead of 103), so a few keys of the
  // survivors move too: about 7%; a modulo hash would move about 90%.
  double moved = moved_among_survivors<HashRing>(1004, 10, 1024);
  EXPECT_LT(moved, 0.12);
}

TEST(HashRing, WeightsShapeTheShares) {
  std::vector<HashTableEntry> w = {{0, 1, 1}, {1, 2, 3}};
  HashRing ring(w, 1024);
  int heavy = 0;
  const int keys = 40'000;
  for (int k = 0; k < keys; ++k) heavy += ring.lookup(key(k)) == 1 ? 1 : 0;
  EXPECT_NEAR(heavy, 0.75 * keys, 0.05 * keys);
}

TEST(HashRing, WrapsPastTheLastPoint) {
  HashRing ring(entries(3), 16);
  EXPECT_EQ(ring.lookup(UINT64_MAX), ring.lookup(0));
}

TEST(Maglev, DefaultTableSizeAndWeightedSlots) {
  std::vector<HashTableEntry> w = {{0, 1, 1}, {1, 2, 2}, {2, 3, 1}};
  MaglevTable table(w, 0);
  ASSERT_EQ(table.size(), 65537u);
  std::map<size_t, int> slots;
  for (uint64_t h = 0; h < table.size(); ++h) ++slots[table.lookup(h)];
  EXPECT_NEAR(slots[0], 65537 / 4, 65537 * 0.01);
  EXPECT_NEAR(slots[1], 65537 / 2, 65537 * 0.01);
  EXPECT_NEAR(slots[2], 65537 / 4, 65537 * 0.01);
}

TEST(Maglev, SameKeySameEndpointAcrossBuilds) {
  auto all = entries(8);
  auto reversed = all;
  std::reverse(reversed.begin(), reversed.end());
  for (size_t i = 0; i < reversed.size(); ++i) reversed[i].index = i;
  MaglevTable a(all, 65537), b(reversed, 65537);
  for (int k = 0; k < 2000; ++k) {
    EXPECT_EQ(all[a.lookup(key(k))].id, reversed[b.lookup(key(k))].id) << k;
  }
}

TEST(Maglev, RemovingOneEndpointMovesLittleElse) {
  // Measured about 0.2%: Maglev's slight disruption beyond the removed endpoint's slots.
  double moved = moved_among_survivors<MaglevTable>(1004, 10, 65537);
  EXPECT_LT(moved, 0.02);
}

TEST(ConsistentHashBalancer, StickyAndRebuiltAroundAnEjectedEndpoint) {
  for (auto algorithm : {Algorithm::kRingHash, Algorithm::kMaglev}) {
    ConsistentHashBalancer lb(algorithm, 0, 1);
    auto eps = testing::equal(5);
    std::vector<size_t> first;
    for (int k = 0; k < 500; ++k) first.push_back(lb.pick(eps, key(k)).index);
    for (int k = 0; k < 500; ++k) EXPECT_EQ(lb.pick(eps, key(k)).index, first[k]);

    eps[2].healthy = false;
    int moved = 0;
    for (int k = 0; k < 500; ++k) {
      size_t now = lb.pick(eps, key(k)).index;
      EXPECT_NE(now, 2u);
      moved += (first[k] != 2 && now != first[k]) ? 1 : 0;
    }
    EXPECT_LT(moved, 50) << "keys of healthy endpoints should mostly stay";

    eps[2].healthy = true;  // readmitted: back to the original mapping
    for (int k = 0; k < 500; ++k) EXPECT_EQ(lb.pick(eps, key(k)).index, first[k]);
  }
}

TEST(ConsistentHashBalancer, NoKeyPicksAtRandom) {
  ConsistentHashBalancer lb(Algorithm::kRingHash, 1024, 99);
  auto eps = testing::equal(4);
  auto counts = testing::tally(lb, eps, 8000);
  for (int c : counts) EXPECT_NEAR(c, 2000, 300);
}

}  // namespace
}  // namespace zmesh::upstream
