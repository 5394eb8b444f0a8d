#include "l7/upstream_pool.h"

namespace zmesh::l7 {

std::unique_ptr<UpstreamConnection> UpstreamPool::take(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  auto now = std::chrono::steady_clock::now();
  while (!list.empty()) {
    auto c = std::move(list.back());  // most recently used: the least likely to be closed
    list.pop_back();
    if (now - c->idle_since < kIdleTimeout) {
      c->reused = true;
      return c;
    }
  }
  idle_.erase(it);
  return nullptr;
}

void UpstreamPool::put(const std::string& key, std::unique_ptr<UpstreamConnection> connection) {
  auto& list = idle_[key];
  if (list.size() >= kMaxIdlePerKey) return;  // dropping it closes it
  connection->idle_since = std::chrono::steady_clock::now();
  list.push_back(std::move(connection));
}

size_t UpstreamPool::idle() const {
  size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

}  // namespace zmesh::l7
