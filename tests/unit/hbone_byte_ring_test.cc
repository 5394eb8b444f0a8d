// The byte queue under every HBONE stream: FIFO order across wrap-around and growth, and the
// zero-copy paths (front/consume, prepare/commit) the relay and the TLS writer use.
#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <random>
#include <string>

#include "hbone/byte_ring.h"

namespace zmesh::hbone::detail {
namespace {

std::string take(ByteRing& ring, size_t n) {
  std::string out(n, '\0');
  out.resize(ring.read(out.data(), n));
  return out;
}

TEST(HboneByteRing, KeepsOrderAcrossWrapAndGrowth) {
  ByteRing ring;
  std::deque<char> model;
  std::mt19937 rng(1);
  char next = 0;
  for (int step = 0; step < 20000; ++step) {
    if (rng() % 2) {
      std::string chunk(rng() % 9000, '\0');
      for (auto& c : chunk) model.push_back(c = next++);
      ring.append(chunk.data(), chunk.size());
    } else {
      std::string got = take(ring, rng() % 9000);
      for (char c : got) {
        ASSERT_FALSE(model.empty());
        ASSERT_EQ(c, model.front());
        model.pop_front();
      }
    }
    ASSERT_EQ(ring.size(), model.size());
  }
}

TEST(HboneByteRing, ReadIntoAppendsToAVector) {
  ByteRing ring;
  ring.append("abcdef", 6);
  std::vector<uint8_t> out{'>'};
  ring.read_into(out, 4);
  EXPECT_EQ(std::string(out.begin(), out.end()), ">abcd");
  EXPECT_EQ(take(ring, 10), "ef");
  EXPECT_TRUE(ring.empty());
}

TEST(HboneByteRing, FrontAndConsumeWalkTheContiguousRuns) {
  ByteRing ring;
  std::string all;
  // Force a wrap: fill, drain most, refill past the end.
  std::string a(12000, 'a'), b(10000, 'b');
  ring.append(a.data(), a.size());
  EXPECT_EQ(take(ring, 11000).size(), 11000u);
  ring.append(b.data(), b.size());
  while (!ring.empty()) {
    auto [data, n] = ring.front(4096);
    ASSERT_GT(n, 0u);
    ASSERT_LE(n, 4096u);
    all.append(reinterpret_cast<const char*>(data), n);
    ring.consume(n);
  }
  EXPECT_EQ(all, std::string(1000, 'a') + b);
}

TEST(HboneByteRing, CommitLandsAfterQueuedBytes) {
  ByteRing ring;
  ring.append("head-", 5);
  auto [space, n] = ring.prepare(100);
  ASSERT_GE(n, 4u);
  std::memcpy(space, "tail", 4);
  ring.commit(4);
  EXPECT_EQ(take(ring, 100), "head-tail");
}

// The relay prepares space and reads the socket into it while the TLS writer drains the
// queue: draining to empty in between must not lose where the new bytes are.
TEST(HboneByteRing, CommitAfterTheQueueDrainedMeanwhile) {
  ByteRing ring;
  std::string first(5000, 'x');
  ring.append(first.data(), first.size());
  auto [space, n] = ring.prepare(1000);
  ASSERT_GE(n, 3u);
  ring.consume(first.size());  // drained while the "read" is in flight
  std::memcpy(space, "new", 3);
  ring.commit(3);
  EXPECT_EQ(take(ring, 100), "new");
}

TEST(HboneByteRing, PrepareGrowsWhenFull) {
  ByteRing ring;
  std::string fill(16 * 1024, 'f');
  ring.append(fill.data(), fill.size());
  auto [space, n] = ring.prepare(64 * 1024);
  ASSERT_EQ(n, 64u * 1024);
  std::memset(space, 'g', n);
  ring.commit(n);
  EXPECT_EQ(take(ring, fill.size()), fill);
  EXPECT_EQ(take(ring, n), std::string(n, 'g'));
}

}  // namespace
}  // namespace zmesh::hbone::detail
