// Tokens already verified, so a repeated token costs one hash lookup instead of a signature
// check: keyed by the token and by which rule and key set verified it (a caller-chosen id), valid
// until the token's `exp` (plus the clock skew), least recently used evicted past a capacity.
// One per worker: not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "jwt/verify.h"

namespace zmesh::jwt {

class TokenCache {
 public:
  static constexpr size_t kDefaultCapacity = 1024;

  explicit TokenCache(size_t capacity = kDefaultCapacity);

  // The token verified under `verifier_id`, or null (absent, or expired at `now`: then dropped).
  std::shared_ptr<const VerifiedToken> find(uint64_t verifier_id, std::string_view token,
                                            uint64_t now_unix_seconds);
  // Remembers a token that verified. `verifier_id` must change whenever the rule or its key set
  // does, so that a token is never accepted on the strength of an older configuration.
  void insert(uint64_t verifier_id, std::string_view token,
              std::shared_ptr<const VerifiedToken> verified);

  size_t size() const { return entries_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Entry {
    uint64_t hash;
    uint64_t verifier_id;
    std::string token;
    std::shared_ptr<const VerifiedToken> verified;
  };
  using List = std::list<Entry>;

  static uint64_t key_hash(uint64_t verifier_id, std::string_view token);

  size_t capacity_;
  List entries_;  // most recently used first
  std::unordered_map<uint64_t, List::iterator> index_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace zmesh::jwt
