#include "jwt/jwks_store.h"

#include <spdlog/spdlog.h>

#include <ctime>

namespace zmesh::jwt {
namespace {

std::string utc_text(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

JwksStore::Keys JwksStore::keys_for(const state::JwtRule& rule) const {
  if (rule.jwks.empty()) {
    std::shared_lock lock(mutex_);
    auto it = uris_.find(rule.jwks_uri);
    return it == uris_.end() ? Keys{} : it->second.keys;
  }
  {
    std::shared_lock lock(mutex_);
    if (auto it = inline_.find(rule.jwks); it != inline_.end()) return it->second;
  }
  // First sight of this text: parse outside the lock, then keep the first result stored.
  auto parsed = parse_jwks(rule.jwks);
  std::unique_lock lock(mutex_);
  if (auto it = inline_.find(rule.jwks); it != inline_.end()) return it->second;
  Keys keys;
  if (parsed) {
    keys = {std::make_shared<const KeySet>(std::move(*parsed)), next_version_++};
  } else {
    spdlog::warn("jwt: inline jwks of issuer {}: {}", rule.issuer, parsed.error().message);
  }
  inline_.emplace(rule.jwks, keys);
  return keys;
}

Result<void> JwksStore::update(const std::string& uri, std::string_view document) {
  auto parsed = parse_jwks(document);
  std::unique_lock lock(mutex_);
  UriEntry& entry = uris_[uri];
  if (!parsed) {
    entry.last_error = parsed.error().message;
    return parsed.error();
  }
  entry.keys = {std::make_shared<const KeySet>(std::move(*parsed)), next_version_++};
  entry.last_ok = std::chrono::system_clock::now();
  entry.last_error.clear();
  return ok();
}

void JwksStore::failed(const std::string& uri, const std::string& error) {
  std::unique_lock lock(mutex_);
  uris_[uri].last_error = error;
}

void JwksStore::forget(const std::string& uri) {
  std::unique_lock lock(mutex_);
  uris_.erase(uri);
}

nlohmann::json JwksStore::status() const {
  std::shared_lock lock(mutex_);
  nlohmann::json uris = nlohmann::json::array();
  for (const auto& [uri, entry] : uris_) {
    nlohmann::json j{{"uri", uri},
                     {"keys", entry.keys.keys ? entry.keys.keys->keys.size() : 0},
                     {"version", entry.keys.version}};
    if (entry.last_ok != std::chrono::system_clock::time_point{})
      j["lastOk"] = utc_text(entry.last_ok);
    if (!entry.last_error.empty()) j["lastError"] = entry.last_error;
    uris.push_back(std::move(j));
  }
  return {{"jwksUris", std::move(uris)}, {"inlineJwks", inline_.size()}};
}

}  // namespace zmesh::jwt
