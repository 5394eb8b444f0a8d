// The JWKS key sets every jwtRule verifies with: inline `jwks` parsed once per distinct text,
// and the last good document fetched for each jwksUri (written by app/jwks_fetcher, read by the
// workers). Pure data and locking: no I/O here.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "common/result.h"
#include "jwt/jwks.h"
#include "state/request_authentication.h"

namespace zmesh::jwt {

// Thread-safe: workers read (a shared lock), the fetcher (control thread) writes.
class JwksStore {
 public:
  struct Keys {
    std::shared_ptr<const KeySet> keys;  // null: none yet (never fetched, or unparsable)
    uint64_t version = 0;                // changes whenever `keys` does; 0 with no keys
  };

  // The keys of `rule`: an inline `jwks` parsed once per distinct text (kept; a parse error
  // gives null keys and is logged once), else the last good document fetched for `jwks_uri`
  // (null: never fetched successfully). `version` is unique across the store: together with the
  // rule's identity it makes a RuleKeys::verifier_id. No parsing after the first time per text.
  Keys keys_for(const state::JwtRule& rule) const;

  // The fetcher's result for `uri`: a document that parses replaces the keys (new version);
  // one that does not is an error (recorded for status) and the previous keys stay.
  Result<void> update(const std::string& uri, std::string_view document);
  // A failed fetch of `uri` (transport error, HTTP status): recorded for status.
  void failed(const std::string& uri, const std::string& error);
  // Drops what is kept for `uri` (no rule names it any more).
  void forget(const std::string& uri);

  // For config_dump / zmeshctl: [{uri, keys (count), version, lastOk, lastError}] by uri, and
  // the inline key sets' count.
  nlohmann::json status() const;

 private:
  struct UriEntry {
    Keys keys;
    std::chrono::system_clock::time_point last_ok{};  // epoch: never
    std::string last_error;                           // empty: the last fetch worked
  };

  mutable std::shared_mutex mutex_;
  mutable std::map<std::string, Keys, std::less<>> inline_;  // by jwks text
  std::map<std::string, UriEntry, std::less<>> uris_;
  mutable uint64_t next_version_ = 1;  // under the exclusive lock
};

}  // namespace zmesh::jwt
