#include "jwt/token_cache.h"

#include <functional>

namespace zmesh::jwt {

TokenCache::TokenCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

uint64_t TokenCache::key_hash(uint64_t verifier_id, std::string_view token) {
  // Mix the id into the token's hash (splitmix64 finaliser), so equal tokens under different
  // verifiers land apart.
  uint64_t h = std::hash<std::string_view>{}(token) ^ (verifier_id + 0x9e3779b97f4a7c15ULL);
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

std::shared_ptr<const VerifiedToken> TokenCache::find(uint64_t verifier_id, std::string_view token,
                                                      uint64_t now) {
  auto it = index_.find(key_hash(verifier_id, token));
  // A hash match is not enough: the entry must hold this very token.
  if (it == index_.end() || it->second->verifier_id != verifier_id || it->second->token != token) {
    ++misses_;
    return nullptr;
  }
  const auto& exp = it->second->verified->exp;
  if (exp && now > *exp + kClockSkewSeconds) {
    entries_.erase(it->second);
    index_.erase(it);
    ++misses_;
    return nullptr;
  }
  entries_.splice(entries_.begin(), entries_, it->second);
  ++hits_;
  return it->second->verified;
}

void TokenCache::insert(uint64_t verifier_id, std::string_view token,
                        std::shared_ptr<const VerifiedToken> verified) {
  const uint64_t hash = key_hash(verifier_id, token);
  if (auto it = index_.find(hash); it != index_.end()) {
    // Same token again, or a hash collision: the newest wins the slot.
    entries_.erase(it->second);
    index_.erase(it);
  }
  if (entries_.size() >= capacity_) {
    index_.erase(entries_.back().hash);
    entries_.pop_back();
  }
  entries_.push_front(Entry{hash, verifier_id, std::string(token), std::move(verified)});
  index_.emplace(hash, entries_.begin());
}

}  // namespace zmesh::jwt
