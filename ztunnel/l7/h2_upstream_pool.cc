#include "l7/h2_upstream_pool.h"

#include <boost/asio/this_coro.hpp>

namespace zmesh::l7 {
namespace asio = boost::asio;
using Failure = H2Acquired::Failure;

H2Lease::H2Lease(std::shared_ptr<H2UpstreamConnection> connection)
    : connection_(std::move(connection)) {
  connection_->lease();
}

H2Lease& H2Lease::operator=(H2Lease&& other) noexcept {
  if (this != &other) {
    reset();
    connection_ = std::move(other.connection_);
  }
  return *this;
}

void H2Lease::reset() {
  if (auto c = std::move(connection_)) c->unlease();
}

namespace {

constexpr auto kRescan = std::chrono::milliseconds(20);

H2Acquired failed(Failure failure, std::string error) {
  H2Acquired out;
  out.failure = failure;
  out.error = std::move(error);
  return out;
}

}  // namespace

asio::awaitable<H2Acquired> H2UpstreamPool::acquire(const std::string& key,
                                                    upstream::CircuitBreaker& breaker,
                                                    std::shared_ptr<const void> breaker_owner,
                                                    const H2UpstreamOptions& options,
                                                    const Opener& open,
                                                    std::optional<Clock::time_point> deadline) {
  auto& list = pools_[key];
  upstream::BreakerSlot pending;  // held while the request waits for a stream
  for (;;) {
    std::erase_if(list, [](const auto& c) { return c->closed(); });
    // The oldest connection with room: requests pack onto few connections, and the others
    // may go idle and close.
    std::shared_ptr<H2UpstreamConnection> chosen, least;
    for (const auto& c : list) {
      if (!c->accepting()) continue;
      if (c->leased() < c->capacity()) {
        chosen = c;
        break;
      }
      if (!least || c->leased() < least->leased()) least = c;
    }
    if (chosen) {
      H2Acquired out;
      out.lease = H2Lease(chosen);
      if (!chosen->ready()) {  // still connecting: wait with it
        if (!pending)
          pending = upstream::BreakerSlot::acquire(breaker, upstream::Resource::kPendingRequests);
        if (!pending)
          co_return failed(Failure::kOverflow, "circuit breaker: too many pending requests");
        if (!co_await chosen->wait_ready(deadline)) {
          if (!chosen->closed()) co_return failed(Failure::kTimeout, "upstream request timeout");
          co_return failed(Failure::kConnectFailure, chosen->error());
        }
        // Its SETTINGS allow fewer streams than were waiting for it: the ones beyond look
        // again (another connection, or a wait for room).
        if (chosen->leased() > chosen->capacity()) {
          out.lease.reset();
          continue;
        }
      }
      co_return out;
    }

    auto slot = upstream::BreakerSlot::acquire(breaker, upstream::Resource::kConnections);
    if (!pending)
      pending = upstream::BreakerSlot::acquire(breaker, upstream::Resource::kPendingRequests);
    if (!pending)
      co_return failed(Failure::kOverflow, "circuit breaker: too many pending requests");
    if (!slot && least) {
      // Every connection is full and no new one may open: wait for a stream to end (on the
      // least busy one; another's ending is seen at the next look).
      auto until = Clock::now() + kRescan;
      if (deadline && *deadline < until) until = *deadline;
      co_await least->wait_change(until);
      if (deadline && Clock::now() >= *deadline)
        co_return failed(Failure::kTimeout, "timeout: no upstream stream in time (maxConnections)");
      continue;
    }

    auto c = std::make_shared<H2UpstreamConnection>(co_await asio::this_coro::executor, options);
    if (slot) c->hold_slot(breaker_owner, std::move(slot));
    list.push_back(c);
    H2Acquired out;
    out.lease = H2Lease(c);
    out.fresh = true;
    auto channel = co_await open(*c);
    if (!channel) {
      c->fail(channel.error().message);
      co_return failed(Failure::kConnectFailure, channel.error().message);
    }
    c->start(std::move(*channel));
    if (!co_await c->wait_ready(deadline)) {
      if (!c->closed()) {
        co_return failed(Failure::kTimeout, "upstream request timeout");
      }
      co_return failed(Failure::kConnectFailure, c->error());
    }
    co_return out;
  }
}

size_t H2UpstreamPool::connections(const std::string& key) const {
  auto it = pools_.find(key);
  if (it == pools_.end()) return 0;
  size_t n = 0;
  for (const auto& c : it->second) n += c->closed() ? 0 : 1;
  return n;
}

}  // namespace zmesh::l7
