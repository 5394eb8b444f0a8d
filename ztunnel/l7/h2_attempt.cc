#include "l7/h2_attempt.h"

#include "l7/grpc_status.h"
#include "l7/h2_upstream_pool.h"
#include "transport/connection.h"

namespace zmesh::l7 {
namespace asio = boost::asio;
using Kind = route::AttemptOutcome::Kind;
using End = H2Exchange::End;

route::AttemptOutcome h2_outcome(const H2Exchange& x) {
  route::AttemptOutcome o;
  o.request_started = x.request_started;
  switch (x.end) {
    case End::kResponse:
      o.kind = Kind::kResponse;
      o.status = x.response.result_int();
      o.grpc_status = grpc_status(x.response);
      o.rate_limited = x.response.find("x-envoy-ratelimited") != x.response.end();
      break;
    case End::kTimeout:
      o.kind = Kind::kPerTryTimeout;
      break;
    case End::kRefused:
      o.kind = Kind::kRefusedStream;
      o.request_started = false;
      break;
    case End::kConnectFailure:
      o.kind = Kind::kConnectFailure;
      o.request_started = false;
      break;
    case End::kReset:
      o.kind = Kind::kReset;
      break;
  }
  return o;
}

asio::awaitable<AttemptResult> attempt_h2(
    transport::ProxyContext& ctx, transport::WorkerState& worker, WorkerCache& cache,
    const std::shared_ptr<const transport::PodNetns>& pod, routing::Destination& dest,
    size_t endpoint, const ForwardRequest& request,
    std::optional<std::chrono::steady_clock::time_point> deadline) {
  AttemptResult r;
  r.workload = dest.members[endpoint].workload;
  r.upstream_addr = endpoint_text(dest.targets[endpoint]);
  bool mesh = r.workload && r.workload->ambient;
  std::string key = pod->uid + "|" + dest.key + (mesh ? "|hbone|" : "|tcp|") + r.upstream_addr;

  H2UpstreamOptions options;
  options.max_requests = dest.policy.limits.max_requests_per_connection;
  const auto& settings = dest.connection;
  if (settings.http_idle_timeout)
    options.idle_timeout = *settings.http_idle_timeout;
  else
    options.idle_timeout.reset();
  if (settings.max_connection_duration) options.max_duration = *settings.max_connection_duration;
  options.max_streams = settings.max_concurrent_streams;
  if (settings.http2_keepalive) {
    options.ping_interval = settings.http2_keepalive->interval;
    options.ping_timeout = settings.http2_keepalive->timeout;
  }
  H2UpstreamPool::Opener open = [&](H2UpstreamConnection& c)
      -> asio::awaitable<Result<std::unique_ptr<transport::UpstreamChannel>>> {
    transport::ConnectionPeers peers;
    auto channel = co_await transport::open_channel(ctx, worker, pod, dest.members[endpoint],
                                                    dest.targets[endpoint], peers, settings);
    c.security_policy = peers.security_policy;
    c.destination_principal = peers.destination_principal;
    c.source_principal = peers.source_principal;
    co_return channel;
  };

  for (int fresh = 0; fresh < 2; ++fresh) {
    auto got = co_await cache.h2_pool.acquire(key, dest.shared->breaker, dest.shared, options, open,
                                              deadline);
    r.outcome.request_started = false;
    switch (got.failure) {
      case H2Acquired::Failure::kNone:
        break;
      case H2Acquired::Failure::kOverflow:
        r.outcome.kind = Kind::kOverflow;
        r.error = got.error;
        co_return r;
      case H2Acquired::Failure::kTimeout:
        r.outcome.kind = Kind::kPerTryTimeout;
        r.error = "upstream request timeout";
        co_return r;
      case H2Acquired::Failure::kConnectFailure:
        r.outcome.kind = Kind::kConnectFailure;
        r.error = got.error;
        dest.record_local(endpoint, upstream::LocalOrigin::kConnectFailed);
        co_return r;
    }
    if (got.fresh) dest.record_local(endpoint, upstream::LocalOrigin::kConnectSuccess);
    r.security_policy = got.lease->security_policy;
    r.destination_principal = got.lease->destination_principal;
    r.source_principal = got.lease->source_principal;

    ++dest.endpoints[endpoint].active_requests;
    auto x = co_await got.lease->exchange(*request.request, request.head, deadline);
    --dest.endpoints[endpoint].active_requests;
    r.outcome = h2_outcome(x);
    r.error = x.error;
    switch (x.end) {
      case End::kResponse:
        dest.record_status(endpoint, r.outcome.status);
        r.response = std::move(x.response);
        break;
      case End::kTimeout:
        dest.record_local(endpoint, upstream::LocalOrigin::kTimeout);
        break;
      case End::kRefused:  // the server is going away or busy, not failing: no outlier event
        break;
      case End::kConnectFailure:
        dest.record_local(endpoint, upstream::LocalOrigin::kConnectFailed);
        break;
      case End::kReset:
        // A pooled connection that died before answering anything was most likely closed
        // while idle: once more on a new one, as the HTTP/1.1 path does.
        if (x.connection_lost && !x.any_response && !got.fresh && fresh == 0) continue;
        dest.record_local(endpoint, upstream::LocalOrigin::kConnectFailed);
        break;
    }
    co_return r;
  }
  co_return r;  // not reached
}

}  // namespace zmesh::l7
