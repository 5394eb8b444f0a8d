#include "l7/forward.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <vector>

#include "l7/attempt.h"
#include "route/retry_backoff.h"
#include "transport/connection.h"

namespace zmesh::l7 {
namespace asio = boost::asio;
using Kind = route::AttemptOutcome::Kind;
using Clock = std::chrono::steady_clock;

namespace {

ForwardResult local(uint32_t status, std::string flags, std::string error) {
  ForwardResult r;
  r.status = status;
  r.flags = std::move(flags);
  r.error = std::move(error);
  return r;
}

std::string with_urx(std::string flags, bool exhausted) {
  if (!exhausted) return flags;
  return flags.empty() ? "URX" : flags + ",URX";
}

// What the client gets when the last attempt did not end in a response.
ForwardResult failure(const AttemptResult& a, bool exhausted) {
  switch (a.outcome.kind) {
    case Kind::kConnectFailure:
      return local(503, with_urx("UF", exhausted), a.error);
    case Kind::kPerTryTimeout:
      return local(504, with_urx("UT", exhausted), "upstream request timeout");
    case Kind::kOverflow:
      return local(503, "UO", a.error);
    default:
      return local(503, with_urx("UC", exhausted), a.error);
  }
}

}  // namespace

asio::awaitable<ForwardResult> forward(transport::ProxyContext& ctx, transport::WorkerState& worker,
                                       WorkerCache& cache,
                                       std::shared_ptr<const transport::PodNetns> pod,
                                       std::shared_ptr<routing::Destination> destination,
                                       const ForwardRequest& request) {
  routing::Destination& dest = *destination;
  auto in_flight =
      upstream::BreakerSlot::acquire(dest.shared->breaker, upstream::Resource::kRequests);
  if (!in_flight) co_return local(503, "UO", "circuit breaker: too many requests");

  std::optional<Clock::time_point> deadline;
  if (request.timeout && request.timeout->count() > 0) deadline = Clock::now() + *request.timeout;
  std::vector<size_t> tried;
  uint32_t retries_done = 0;
  upstream::BreakerSlot retry_slot;
  AttemptResult last;
  bool have_last = false;
  auto executor = co_await asio::this_coro::executor;

  for (;;) {
    auto pick = dest.pick(tried, request.hash);
    if (pick.kind == upstream::Pick::Kind::kOriginalDestination)
      pick = dest.original_destination(request.original, tried, cache.routes.rng.next());
    if (pick.kind != upstream::Pick::Kind::kEndpoint) {
      if (have_last) break;  // a retry found nothing: the last result stands
      co_return local(503, "UH", "no healthy upstream for " + dest.key);
    }
    tried.push_back(pick.index);

    // This try's budget: perTryTimeout, cut to what is left of the route timeout.
    std::optional<Clock::duration> budget;
    if (request.retry && request.retry->per_try_timeout) budget = *request.retry->per_try_timeout;
    bool route_limited = false;
    if (deadline) {
      auto left = *deadline - Clock::now();
      if (left <= Clock::duration::zero()) co_return local(504, "UT", "upstream request timeout");
      if (!budget || left <= *budget) {
        budget = left;
        route_limited = true;
      }
    }

    last = co_await attempt(ctx, worker, cache, pod, dest, pick.index, request, budget);
    have_last = true;
    if (last.outcome.kind == Kind::kPerTryTimeout && route_limited)
      co_return local(504, "UT", "upstream request timeout");

    bool wanted = request.retry && route::should_retry(*request.retry, last.outcome);
    if (!wanted) break;
    if (!route::retries_left(*request.retry, retries_done)) {
      last.exhausted = true;
      break;
    }
    retry_slot = upstream::BreakerSlot::acquire(dest.shared->breaker, upstream::Resource::kRetries);
    if (!retry_slot) break;  // Envoy: retry overflow leaves the last result
    ++retries_done;
    auto wait =
        route::retry_backoff(request.retry->backoff_base, retries_done, cache.routes.rng.next());
    if (deadline && Clock::now() + wait >= *deadline)
      co_return local(504, "UT", "upstream request timeout");
    asio::steady_timer timer(executor, wait);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  ForwardResult r = last.response ? ForwardResult{} : failure(last, last.exhausted);
  if (last.response) {
    r.status = last.response->result_int();
    r.flags = last.exhausted ? "URX" : "";
    r.response = std::move(last.response);
  }
  r.attempts = retries_done + 1;
  r.workload = last.workload;
  r.upstream_addr = last.upstream_addr;
  r.security_policy = last.security_policy;
  r.destination_principal = last.destination_principal;
  r.source_principal = last.source_principal;
  r.tunnel = std::move(last.tunnel);
  co_return r;
}

}  // namespace zmesh::l7
