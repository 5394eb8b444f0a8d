#include "l7/attempt.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "l7/grpc_status.h"
#include "l7/h2_attempt.h"
#include "l7/upstream_protocol.h"
#include "transport/connection.h"

namespace zmesh::l7 {
namespace asio = boost::asio;
using Kind = route::AttemptOutcome::Kind;

namespace {

// Gives up on a connection when the budget runs out. Shared with the timer's handler so a
// handler that fires after the exchange finished touches nothing.
struct Watchdog {
  transport::UpstreamChannel* channel = nullptr;
  bool done = false;
  bool fired = false;
};

constexpr auto kPendingPoll = std::chrono::milliseconds(5);

// A connection for the try, as Envoy's HTTP/1.1 pool gives one: the request is "pending"
// (http1MaxPendingRequests, else overflow) until it has one. A new connection needs a
// kConnections slot (maxConnections); without one the request waits for a connection of this
// worker's pool to come back or a slot to free, within `budget`. A worker with no connection
// to the endpoint at all may open one anyway (Envoy's pool does the same), so no worker waits
// forever behind another worker's idle connections.
asio::awaitable<Result<std::unique_ptr<UpstreamConnection>>> open(
    transport::ProxyContext& ctx, transport::WorkerState& worker, WorkerCache& cache,
    const std::shared_ptr<const transport::PodNetns>& pod, routing::Destination& dest,
    size_t endpoint, const std::string& key,
    std::optional<std::chrono::steady_clock::time_point> deadline) {
  auto& breaker = dest.shared->breaker;
  auto pending = upstream::BreakerSlot::acquire(breaker, upstream::Resource::kPendingRequests);
  if (!pending) co_return make_error("circuit breaker: too many pending requests");
  auto slot = upstream::BreakerSlot::acquire(breaker, upstream::Resource::kConnections);
  size_t& live = cache.pool.live(key);
  while (!slot && live > 0) {
    if (auto c = cache.pool.take(key)) co_return c;
    if (deadline && std::chrono::steady_clock::now() >= *deadline)
      co_return make_error("timeout: no upstream connection in time (maxConnections)");
    asio::steady_timer timer(co_await asio::this_coro::executor, kPendingPoll);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    slot = upstream::BreakerSlot::acquire(breaker, upstream::Resource::kConnections);
  }
  transport::ConnectionPeers peers;
  auto channel = co_await transport::open_channel(ctx, worker, pod, dest.members[endpoint],
                                                  dest.targets[endpoint], peers, dest.connection);
  if (!channel) co_return channel.error();
  auto c = std::make_unique<UpstreamConnection>();
  c->idle_timeout = dest.connection.http_idle_timeout;
  c->max_duration = dest.connection.max_connection_duration;
  c->breaker_owner = dest.shared;
  c->connection_slot = std::move(slot);
  c->live_count = &live;
  ++live;
  c->channel = std::move(*channel);
  c->security_policy = peers.security_policy;
  c->destination_principal = peers.destination_principal;
  c->source_principal = peers.source_principal;
  co_return c;
}

}  // namespace

asio::awaitable<AttemptResult> attempt(transport::ProxyContext& ctx, transport::WorkerState& worker,
                                       WorkerCache& cache,
                                       const std::shared_ptr<const transport::PodNetns>& pod,
                                       routing::Destination& dest, size_t endpoint,
                                       const ForwardRequest& request,
                                       std::optional<std::chrono::steady_clock::duration> budget) {
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (budget) deadline = std::chrono::steady_clock::now() + *budget;
  if (request.request && request.protocol == UpstreamProtocol::kHttp2)
    co_return co_await attempt_h2(ctx, worker, cache, pod, dest, endpoint, request, deadline);

  AttemptResult r;
  r.workload = dest.members[endpoint].workload;
  r.upstream_addr = endpoint_text(dest.targets[endpoint]);
  bool mesh = r.workload && r.workload->ambient;
  // Per destination (Envoy's pools are per cluster): a connection opened under another
  // subset's or Service's limits must not dodge this destination's maxConnections.
  std::string key = pod->uid + "|" + dest.key + (mesh ? "|hbone|" : "|tcp|") + r.upstream_addr;

  auto connection = cache.pool.take(key);
  for (int fresh = 0; fresh < 2; ++fresh) {
    if (!connection) {
      auto opened = co_await open(ctx, worker, cache, pod, dest, endpoint, key, deadline);
      if (!opened) {
        const auto& why = opened.error().message;
        if (why.rfind("timeout", 0) == 0) {  // waited as pending past the budget
          r.outcome.kind = Kind::kPerTryTimeout;
          r.outcome.request_started = false;
          r.error = "upstream request timeout";
          co_return r;
        }
        bool overflow = why.rfind("circuit breaker", 0) == 0;
        r.outcome.kind = overflow ? Kind::kOverflow : Kind::kConnectFailure;
        r.outcome.request_started = false;
        r.error = opened.error().message;
        if (!overflow) dest.record_local(endpoint, upstream::LocalOrigin::kConnectFailed);
        co_return r;
      }
      connection = std::move(*opened);
      dest.record_local(endpoint, upstream::LocalOrigin::kConnectSuccess);
    }
    r.security_policy = connection->security_policy;
    r.destination_principal = connection->destination_principal;
    r.source_principal = connection->source_principal;

    auto dog = std::make_shared<Watchdog>();
    dog->channel = connection->channel.get();
    asio::steady_timer timer(co_await asio::this_coro::executor);
    if (deadline) {
      timer.expires_at(*deadline);
      timer.async_wait([dog](boost::system::error_code ec) {
        if (ec || dog->done) return;
        dog->fired = true;
        dog->channel->abort();
      });
    }
    ++dest.endpoints[endpoint].active_requests;
    bool any_bytes = false;
    auto reply = co_await exchange(*connection, request.wire, request.head, any_bytes);
    --dest.endpoints[endpoint].active_requests;
    dog->done = true;
    timer.cancel();

    if (dog->fired) {
      r.outcome.kind = Kind::kPerTryTimeout;
      r.error = "upstream request timeout";
      dest.record_local(endpoint, upstream::LocalOrigin::kTimeout);
      co_return r;
    }
    if (!reply) {
      // A pooled connection that says nothing was most likely closed while idle: once more
      // on a new one, as Envoy does for a stale pooled connection.
      if (connection->reused && !any_bytes && fresh == 0) {
        connection.reset();
        continue;
      }
      r.outcome.kind = Kind::kReset;
      r.error = reply.error().message;
      dest.record_local(endpoint, upstream::LocalOrigin::kConnectFailed);
      co_return r;
    }
    if (reply->response.result_int() == 101) {
      if (!request.upgrade) {  // a switch nobody asked for: the connection is unusable
        r.outcome.kind = Kind::kReset;
        r.error = "upstream switched protocols unasked";
        co_return r;
      }
      r.outcome.kind = Kind::kResponse;
      r.outcome.status = 101;
      r.response = std::move(reply->response);
      r.tunnel = std::move(connection);
      co_return r;
    }
    r.outcome.kind = Kind::kResponse;
    r.outcome.status = reply->response.result_int();
    r.outcome.grpc_status = grpc_status(reply->response);
    r.outcome.rate_limited = reply->response.find("x-envoy-ratelimited") != reply->response.end();
    dest.record_status(endpoint, r.outcome.status);
    ++connection->served;
    if (reply->reusable && dest.policy.limits.connection_reusable(connection->served)) {
      connection->reused = false;
      cache.pool.put(key, std::move(connection), co_await asio::this_coro::executor);
    }
    r.response = std::move(reply->response);
    co_return r;
  }
  co_return r;  // not reached
}

}  // namespace zmesh::l7
