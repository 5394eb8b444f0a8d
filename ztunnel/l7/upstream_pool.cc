#include "l7/upstream_pool.h"

#include <algorithm>

namespace zmesh::l7 {

using Clock = std::chrono::steady_clock;

std::optional<Clock::time_point> UpstreamConnection::close_at() const {
  std::optional<Clock::time_point> at;
  if (idle_timeout) at = idle_since + *idle_timeout;
  if (max_duration) {
    auto end = opened_at + *max_duration;
    at = at ? std::min(*at, end) : end;
  }
  return at;
}

std::unique_ptr<UpstreamConnection> UpstreamPool::take(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  auto now = Clock::now();
  while (!list.empty()) {
    auto c = std::move(list.back());  // most recently used: the least likely to be closed
    list.pop_back();
    auto at = c->close_at();
    if (!at || now < *at) {
      c->reused = true;
      c->in_pool = false;
      return c;
    }
  }
  idle_.erase(it);
  return nullptr;
}

void UpstreamPool::put(const std::string& key, std::unique_ptr<UpstreamConnection> connection,
                       const boost::asio::any_io_executor& executor) {
  auto now = Clock::now();
  if (connection->max_duration && now - connection->opened_at >= *connection->max_duration)
    return;  // too old to reuse: dropping it closes it
  auto& list = idle_[key];
  if (list.size() >= kMaxIdlePerKey) return;
  connection->idle_since = now;
  connection->in_pool = true;
  if (connection->close_at() && !connection->timer_armed) {
    if (!connection->timer)
      connection->timer = std::make_unique<boost::asio::steady_timer>(executor);
    arm(key, *connection);
  }
  list.push_back(std::move(connection));
}

void UpstreamPool::arm(const std::string& key, UpstreamConnection& c) {
  c.timer_armed = true;
  c.timer->expires_at(*c.close_at());
  c.timer->async_wait(
      [this, key, &c, alive = std::weak_ptr<char>(c.alive)](boost::system::error_code ec) {
        if (ec || alive.expired()) return;  // the connection is gone
        c.timer_armed = false;
        if (c.in_pool) expire(key, c);
        // Busy: put() arms it again when it comes back.
      });
}

void UpstreamPool::expire(const std::string& key, UpstreamConnection& c) {
  if (Clock::now() < *c.close_at()) {  // used again since the timer was set
    arm(key, c);
    return;
  }
  auto it = idle_.find(key);
  if (it == idle_.end()) return;
  auto& list = it->second;
  auto pos = std::find_if(list.begin(), list.end(), [&](const auto& p) { return p.get() == &c; });
  if (pos != list.end()) list.erase(pos);  // closes it
  if (list.empty()) idle_.erase(it);
}

size_t UpstreamPool::idle() const {
  size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

}  // namespace zmesh::l7
