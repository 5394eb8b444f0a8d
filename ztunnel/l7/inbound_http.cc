#include "l7/inbound_http.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <vector>

#include "common/endpoint_text.h"
#include "h2/signal.h"
#include "l7/app_link.h"
#include "l7/ext_authz.h"
#include "l7/grpc_status.h"
#include "l7/h2_channel_transport.h"
#include "l7/h2_server_session.h"
#include "l7/inbound_authn.h"
#include "l7/inbound_authz.h"
#include "l7/request_report.h"
#include "l7/route_request.h"
#include "l7/upgrade.h"
#include "l7/worker_cache.h"
#include "rbac/audit_record.h"
#include "rbac/http_policy_match.h"
#include "routing/worker_routes.h"

namespace zmesh::l7 {
namespace asio = boost::asio;

namespace {

constexpr size_t kReadChunk = 16 << 10;

// What the requests of one client connection share.
struct Inbound {
  transport::ProxyContext& ctx;
  transport::WorkerState& worker;
  WorkerCache& cache;
  InboundConnection conn;
  AppLink app;
};

// Reads one HTTP/1.x request from the channel. Answers `Expect: 100-continue` itself, since the
// whole body is read before the request is decided. false on a clean close; a parse error
// leaves `bad` set.
asio::awaitable<bool> read_request(transport::UpstreamChannel& client,
                                   boost::beast::flat_buffer& buffer, Request& out, bool& bad) {
  http::request_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  parser.header_limit(kMaxHeader);
  bool continued = false;
  while (!parser.is_done()) {
    if (buffer.size() > 0) {
      boost::system::error_code ec;
      size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec && ec != http::error::need_more) {
        bad = true;
        co_return false;
      }
      if (parser.is_done()) break;
      if (parser.is_header_done() && !continued &&
          parser.get()[http::field::expect] == "100-continue") {
        continued = true;
        static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        if (!co_await client.write(asio::buffer(kContinue))) co_return false;
      }
      if (!ec && used > 0) continue;  // the parser may take more of what is buffered
    }
    auto n = co_await client.read_some(buffer.prepare(kReadChunk));
    if (!n || *n == 0) {  // a close in the middle of a request is a malformed one
      bad = n && (buffer.size() > 0 || parser.got_some());
      co_return false;
    }
    buffer.commit(*n);
  }
  out = parser.release();
  co_return true;
}

// The client's and the app's bytes after a 101, both ways until both ends close.
asio::awaitable<void> pump(transport::UpstreamChannel& from, transport::UpstreamChannel& to,
                           uint64_t& moved) {
  std::vector<uint8_t> chunk(kReadChunk);
  for (;;) {
    auto n = co_await from.read_some(asio::buffer(chunk));
    if (!n || *n == 0) break;
    if (!co_await to.write(asio::buffer(chunk.data(), *n))) break;
    moved += *n;
  }
  to.close_write();
}

asio::awaitable<void> tunnel(transport::UpstreamChannel& client, boost::beast::flat_buffer& early,
                             UpstreamConnection& app, RequestFacts& facts) {
  // Bytes either side sent right behind the request and the 101 belong to the tunnel.
  if (early.size() > 0) {
    if (!co_await app.channel->write(early.data())) co_return;
    facts.request_bytes += early.size();
  }
  if (app.buffer.size() > 0) {
    if (!co_await client.write(app.buffer.data())) co_return;
    facts.response_bytes += app.buffer.size();
  }
  // Both directions at once (Asio 1.74 has no awaitable operators): the app's side in its own
  // coroutine, which this one waits for after its own side ends.
  auto executor = co_await asio::this_coro::executor;
  struct Done {
    explicit Done(const asio::any_io_executor& e) : signal(e) {}
    h2::Signal signal;
    bool done = false;
  };
  auto back = std::make_shared<Done>(executor);
  asio::co_spawn(
      executor,
      [&app, &client, &facts, back]() -> asio::awaitable<void> {
        co_await pump(*app.channel, client, facts.response_bytes);
        back->done = true;
        back->signal.notify();
      },
      asio::detached);
  co_await pump(client, *app.channel, facts.request_bytes);
  while (!back->done) co_await back->signal.wait();
}

// Counts the decision per policy and writes its audit records (off the request path: the
// audit log is written by its own thread).
void account(Inbound& in, const rbac::Decision& d, const HttpAuthzInput& input) {
  auto& metrics = in.ctx.metrics;
  const size_t shard = in.worker.index;
  std::string decided;
  if (d.denied_by)
    decided = rbac::policy_key(*d.denied_by);
  else if (d.allowed_by)
    decided = rbac::policy_key(*d.allowed_by);
  metrics.authz(shard, {"l7", d.allowed ? "allowed" : "denied", decided})
      .fetch_add(1, std::memory_order_relaxed);
  for (const auto* p : d.audited)
    metrics.authz(shard, {"l7", "audited", rbac::policy_key(*p)})
        .fetch_add(1, std::memory_order_relaxed);
  if (d.dry_run_would_deny) {
    metrics.authz(shard, {"l7", "dry_run_denied", ""}).fetch_add(1, std::memory_order_relaxed);
    spdlog::info("rbac dry-run: {} {} {} would be denied", input.view().method, input.view().host,
                 input.view().path);
  }
  if (!in.ctx.audit_log || (d.allowed && d.audited.empty())) return;
  const auto* destination = in.conn.peers.destination;
  for (const auto& event : rbac::audit_events(d, "l7", destination ? destination->uid : ""))
    in.ctx.audit_log->write(rbac::audit_record(event, input.view().conn, &input.view()));
}

// What the decision of one request carries from its first stage to its last, across the
// external authorizer's check (kept off the coroutine frames).
struct Admission {
  std::shared_ptr<const state::Snapshot> snapshot;  // the newest, when the request came
  std::shared_ptr<const state::Workload> destination;
  std::optional<rbac::RequestAuth> caller;                 // a verified JWT's principal and claims
  const state::AuthorizationPolicy* custom = nullptr;      // the CUSTOM policy that matched
  const state::ExtAuthzHttpProvider* ext_authz = nullptr;  // its provider (in snapshot)
};

// meshConfig numTrustedProxies: X-Forwarded-For hops trusted for the original client.
uint32_t trusted_hops(const Admission& a) {
  return a.snapshot->mesh_config().default_config.gateway_topology.num_trusted_proxies;
}

void deny_locally(Handled& h, unsigned status, const std::string& body, std::string details,
                  unsigned version, bool grpc) {
  h.response = make_local_response(status, body, version, grpc);
  h.details = std::move(details);
  h.error = h.details;
}

// Fills what telemetry says about the destination end, authenticates the request and finds
// the CUSTOM policy it meets, on the newest config. true: `h` holds the local answer (denied,
// or malformed). Not a coroutine: its big locals stay off the coroutine frames.
bool refuse_early(Inbound& in, Request& request, Handled& h, Admission& a) {
  a.snapshot = in.ctx.store.current();
  const auto& snapshot = a.snapshot;
  routing::config_for(in.cache.routes, snapshot);  // the request metrics' cells follow it
  const unsigned version = request.version();
  const bool grpc = is_grpc_request(request);
  a.destination = snapshot->workload_by_uid(in.conn.pod->uid);
  const auto& destination = a.destination;
  if (destination) {
    if (const auto* svc = snapshot->service_for_port(*destination, in.conn.app.port()))
      h.service = snapshot->service_by_host(svc->hostname);
  }
  h.upstream.workload = destination;
  h.upstream.upstream_addr = endpoint_text(in.conn.app);
  h.upstream.security_policy = in.conn.peers.security_policy;
  h.upstream.source_principal = in.conn.peers.source_principal;
  h.upstream.destination_principal = in.conn.peers.destination_principal;

  if (version != 10 && request.find(http::field::host) == request.end()) {
    h.response = make_local_response(400, "missing Host header", version, grpc);
    return true;
  }
  if (!destination) return false;  // the pod is going away: nothing applies to it any more
  // RequestAuthentication first: a bad token never reaches authorization.
  auto rules = snapshot->request_authns().rules_for(destination->namespace_, destination->labels);
  if (!rules.empty()) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto outcome = authenticate_request(rules, in.ctx.jwks, in.cache.tokens, request,
                                        static_cast<uint64_t>(now));
    if (outcome.reply) {
      h.response = std::move(*outcome.reply);
      std::string why = h.response.body();
      std::replace(why.begin(), why.end(), ' ', '_');
      h.details = "jwt_authn_access_denied{" + why + "}";
      h.error = h.details;
      return true;
    }
    a.caller = std::move(outcome.caller);
  }
  // CUSTOM first (Istio's order): the first one whose rules match sends the request to its
  // external authorizer; one whose provider is not an envoyExtAuthzHttp of meshConfig denies
  // (istiod turns such a policy into a deny-all).
  auto policies = snapshot->authz_policies_for(*destination, in.conn.app.port());
  if (policies.custom.empty()) return false;
  HttpAuthzInput input(in.conn.view, request, a.caller ? &*a.caller : nullptr, trusted_hops(a));
  if (!input.path_ok()) return false;  // the next stage answers 400
  for (const auto* p : policies.custom) {
    if (!rbac::request_policy_matches(*p, input.view())) continue;
    a.custom = p;
    const auto* provider =
        p->provider ? snapshot->mesh_config().find_provider(*p->provider) : nullptr;
    a.ext_authz = provider ? provider->ext_authz_http() : nullptr;
    if (a.ext_authz) return false;
    spdlog::warn(
        "AuthorizationPolicy {}: provider {} is not an envoyExtAuthzHttp provider of "
        "meshConfig: denying",
        rbac::policy_key(*p), p->provider.value_or(""));
    rbac::Decision d;
    d.allowed = false;
    d.denied_by = p;
    d.reason = "CUSTOM provider not found";
    account(in, d, input);
    deny_locally(h, 403, "RBAC: access denied",
                 "ext_authz_provider_not_found{" + p->provider.value_or("") + "}", version, grpc);
    return true;
  }
  return false;
}

// Counts the external authorizer's answer as a decision of its CUSTOM policy.
void account_custom(Inbound& in, const Admission& a, const ExtAuthzVerdict& verdict,
                    Request& request) {
  rbac::Decision d;
  d.allowed = verdict.allowed;
  (verdict.allowed ? d.allowed_by : d.denied_by) = a.custom;
  if (!verdict.allowed) d.reason = "denied by ext_authz: " + verdict.details;
  HttpAuthzInput input(in.conn.view, request, a.caller ? &*a.caller : nullptr, trusted_hops(a));
  account(in, d, input);
}

// DENY, then ALLOW (and AUDIT, dry-run) on the request. true: `h` holds the local answer.
bool refuse_rbac(Inbound& in, Request& request, Handled& h, const Admission& a) {
  if (!a.destination) return false;
  const unsigned version = request.version();
  const bool grpc = is_grpc_request(request);
  auto policies = a.snapshot->authz_policies_for(*a.destination, in.conn.app.port());
  HttpAuthzInput input(in.conn.view, request, a.caller ? &*a.caller : nullptr, trusted_hops(a));
  auto verdict = authorize_http(policies, input);
  if (verdict.decision) account(in, *verdict.decision, input);
  if (verdict.status == 0) return false;
  deny_locally(h, verdict.status, verdict.status == 403 ? "RBAC: access denied" : "Bad Request",
               verdict.details, version, grpc);
  return true;
}

// Decides one request and, when allowed, has the app answer it.
asio::awaitable<void> handle(Inbound& in, Request& request, Handled& h) {
  auto admission = std::make_unique<Admission>();
  if (refuse_early(in, request, h, *admission)) co_return;
  if (admission->ext_authz) {
    auto verdict = std::make_unique<ExtAuthzVerdict>(
        co_await check_ext_authz(in.ctx, in.worker, in.cache, in.conn.pod,
                                 admission->destination.get(), *admission->ext_authz, request));
    account_custom(in, *admission, *verdict, request);
    if (!verdict->allowed) {
      h.response = std::move(*verdict->reply);
      h.flags = "UAEX";
      h.details = verdict->details;
      h.error = verdict->details;
      co_return;
    }
    apply_upstream_headers(*verdict, request);
  }
  if (refuse_rbac(in, request, h, *admission)) co_return;
  const unsigned version = request.version();
  const bool grpc = is_grpc_request(request);
  const bool head = request.method() == http::verb::head;
  auto reply = std::make_unique<AppReply>();
  if (version == 20) {
    if (request.method() == http::verb::connect) {  // extended CONNECT is not offered
      h.response = make_local_response(403, "", version, grpc);
      co_return;
    }
    *reply = co_await in.app.send_http2(request, head);
  } else {
    const auto upgrade = upgrade_kind(request);
    if (upgrade == UpgradeKind::kOther) {  // as the source side: only WebSocket upgrades
      h.response = make_local_response(403, "", version, grpc);
      co_return;
    }
    if (upgrade == UpgradeKind::kH2c) drop_h2c_offer(request);
    const bool keep_alive = request.keep_alive();
    if (upgrade != UpgradeKind::kWebSocket) request.keep_alive(true);  // our link to the app
    *reply = co_await in.app.send_http1(request, head, upgrade == UpgradeKind::kWebSocket);
    request.keep_alive(keep_alive);
  }
  if (!reply->response) {
    h.flags = reply->flags;
    h.error = reply->error;
    h.response = make_local_response(
        503, "upstream connect error or disconnect/reset before headers", version, grpc);
    co_return;
  }
  h.response = std::move(*reply->response);
  h.upstream.tunnel = std::move(reply->tunnel);
  h.upstream.attempts = 1;
}

asio::awaitable<void> serve_h2_request(Inbound& in, Request& request, Response& response,
                                       const H2ServerSession::Gone& gone) {
  auto started = std::chrono::steady_clock::now();
  auto facts = std::make_unique<RequestFacts>();
  auto handled = std::make_unique<Handled>();
  note_request(request, in.ctx.store.current()->tracing(), in.worker.trace_rng, *facts);
  co_await handle(in, request, *handled);
  facts->response_bytes = handled->response.body().size();
  if (gone()) {
    handled->flags = handled->flags.empty() ? "DC" : handled->flags + ",DC";
    handled->response.result(0u);
  }
  facts->duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  report_request(in.ctx, in.worker, in.cache, in.conn.peers, *handled, *facts);
  response = std::move(handled->response);
}

// Reads until the first bytes tell HTTP/2 with prior knowledge from HTTP/1.x.
asio::awaitable<bool> sniff_h2(transport::UpstreamChannel& client,
                               boost::beast::flat_buffer& buffer, bool& h2) {
  for (;;) {
    auto bytes = buffer.data();
    auto match = match_h2_preface({static_cast<const char*>(bytes.data()), bytes.size()});
    if (match != PrefaceMatch::kPartial) {
      h2 = match == PrefaceMatch::kYes;
      co_return true;
    }
    auto n = co_await client.read_some(buffer.prepare(4096));
    if (!n || *n == 0) co_return false;
    buffer.commit(*n);
  }
}

asio::awaitable<void> serve_http1(Inbound& in, transport::UpstreamChannel& client,
                                  boost::beast::flat_buffer& buffer) {
  for (;;) {
    auto request = std::make_unique<Request>();
    bool bad = false;
    bool got = co_await read_request(client, buffer, *request, bad);
    auto started = std::chrono::steady_clock::now();
    if (!got) {
      if (bad) {  // malformed: 400 and close, as Envoy's codec does
        auto r = std::make_unique<Response>(make_local_response(400, "Bad Request", 11));
        r->keep_alive(false);
        co_await client.write(asio::buffer(serialize(*r, false)));
      }
      client.close_write();
      co_return;
    }
    const bool keep_alive = request->keep_alive();
    const bool head = request->method() == http::verb::head;
    auto facts = std::make_unique<RequestFacts>();
    auto handled = std::make_unique<Handled>();
    note_request(*request, in.ctx.store.current()->tracing(), in.worker.trace_rng, *facts);
    co_await handle(in, *request, *handled);
    auto& response = handled->response;
    if (handled->upstream.tunnel && response.result_int() == 101) {
      auto app = std::move(handled->upstream.tunnel);
      bool sent = static_cast<bool>(co_await client.write(asio::buffer(serialize(response, true))));
      if (sent) co_await tunnel(client, buffer, *app, *facts);
      facts->duration = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - started);
      report_request(in.ctx, in.worker, in.cache, in.conn.peers, *handled, *facts);
      co_return;
    }
    for (auto f : {http::field::connection, http::field::keep_alive}) response.erase(f);
    response.keep_alive(keep_alive);
    facts->response_bytes = response.body().size();
    auto sent = co_await client.write(asio::buffer(serialize(response, head)));
    facts->duration = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    if (!sent) {
      handled->flags = handled->flags.empty() ? "DC" : handled->flags + ",DC";
      handled->response.result(0u);
    }
    report_request(in.ctx, in.worker, in.cache, in.conn.peers, *handled, *facts);
    if (!sent || !keep_alive) {
      client.close_write();
      co_return;
    }
  }
}

}  // namespace

asio::awaitable<void> serve_inbound_http(transport::ProxyContext& ctx,
                                         transport::WorkerState& worker,
                                         std::unique_ptr<transport::UpstreamChannel> client,
                                         InboundConnection connection) {
  auto pod = connection.pod;
  auto app = connection.app;
  auto in = std::make_unique<Inbound>(
      Inbound{ctx, worker, worker_cache(worker), std::move(connection), AppLink(ctx, pod, app)});
  auto buffer = std::make_unique<boost::beast::flat_buffer>();
  bool h2 = false;
  if (!co_await sniff_h2(*client, *buffer, h2)) co_return;
  if (!h2) {
    co_await serve_http1(*in, *client, *buffer);
    co_return;
  }
  auto bytes = buffer->data();
  const auto* first = static_cast<const uint8_t*>(bytes.data());
  std::vector<uint8_t> preread(first, first + bytes.size());
  Inbound* inbound = in.get();  // outlives the session: run() waits for every handler
  auto session = std::make_shared<H2ServerSession>(
      co_await asio::this_coro::executor, std::make_unique<H2ChannelTransport>(std::move(client)),
      [inbound](Request& request, Response& response, const H2ServerSession::Gone& gone) {
        return serve_h2_request(*inbound, request, response, gone);
      });
  co_await H2ServerSession::run(std::move(session), std::move(preread));
}

}  // namespace zmesh::l7
