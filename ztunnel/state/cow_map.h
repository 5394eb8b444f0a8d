// A hash map that snapshots copy in O(shards) and update in O(one shard): the entries live
// in 256 shards held by shared_ptr, so two snapshots share every shard neither changed.
// Writing copies a shard only while another map still shares it (use_count > 1); a shard
// owned alone is written in place, so building a map from scratch copies nothing.
//
// Thread safety: a map is written by one thread (the config thread building the next
// snapshot) and only read once published. use_count() can only overstate sharing (readers
// never copy shards; only the writer does), so the check never writes a shard a published
// snapshot can see.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

namespace zmesh::state {

template <typename K, typename V, typename Hash = std::hash<K>>
class CowMap {
 public:
  const V* find(const K& key) const {
    const auto& shard = shards_[shard_of(key)];
    if (!shard) return nullptr;
    auto it = shard->find(key);
    return it == shard->end() ? nullptr : &it->second;
  }

  // The value to modify in place (created default when absent).
  V& operator[](const K& key) {
    Shard& shard = own(shard_of(key));
    auto [it, inserted] = shard.try_emplace(key);
    if (inserted) ++size_;
    return it->second;
  }

  void set(const K& key, V value) { (*this)[key] = std::move(value); }

  void erase(const K& key) {
    size_t i = shard_of(key);
    if (!shards_[i] || shards_[i]->find(key) == shards_[i]->end()) return;
    size_ -= own(i).erase(key);
  }

  size_t size() const { return size_; }

  template <typename F>
  void for_each(F&& f) const {
    for (const auto& shard : shards_) {
      if (!shard) continue;
      for (const auto& [key, value] : *shard) f(key, value);
    }
  }

 private:
  using Shard = std::unordered_map<K, V, Hash>;
  static constexpr size_t kShardBits = 8;

  // Fibonacci hashing: the top bits of the mixed hash pick the shard, so the low bits the
  // shard's own buckets use stay independent of it.
  static size_t shard_of(const K& key) {
    uint64_t h = static_cast<uint64_t>(Hash{}(key)) * 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>(h >> (64 - kShardBits));
  }

  Shard& own(size_t i) {
    auto& shard = shards_[i];
    if (!shard) {
      shard = std::make_shared<Shard>();
    } else if (shard.use_count() > 1) {
      shard = std::make_shared<Shard>(*shard);
    }
    return *shard;
  }

  std::array<std::shared_ptr<Shard>, size_t{1} << kShardBits> shards_;
  size_t size_ = 0;
};

}  // namespace zmesh::state
