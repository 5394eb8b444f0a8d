#include "l7/route_request.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <variant>

#include "l7/mirror.h"
#include "l7/upgrade.h"
#include "l7/upstream_protocol.h"
#include "route/authority_rewrite.h"
#include "route/cors.h"
#include "route/fault.h"
#include "route/header_operations.h"
#include "route/local_reply.h"
#include "route/redirect.h"
#include "route/retry_policy.h"
#include "upstream/request_hash.h"

namespace zmesh::l7 {
namespace asio = boost::asio;

namespace {

// Envoy's local reply bodies for the flags the router sets.
std::string body_for(const std::string& flags) {
  if (flags.rfind("UH", 0) == 0) return "no healthy upstream";
  if (flags.rfind("UT", 0) == 0) return "upstream request timeout";
  if (flags.rfind("UO", 0) == 0)
    return "upstream connect error or disconnect/reset before headers. reset reason: overflow";
  if (flags.rfind("UF", 0) == 0)
    return "upstream connect error or disconnect/reset before headers. reset reason: connection "
           "failure";
  if (flags.rfind("UC", 0) == 0)
    return "upstream connect error or disconnect/reset before headers. reset reason: connection "
           "termination";
  return {};
}

Response from_local(const route::LocalReply& reply, unsigned version) {
  Response r{static_cast<http::status>(reply.status), version};
  for (const auto& f : reply.headers.fields()) r.insert(f.name, f.value);
  r.body() = reply.body;
  r.prepare_payload();
  return r;
}

// Whether the route (or its picked destination) changes headers in that direction: most do
// not, and then the Beast fields need no round trip through a HeaderList.
bool has_header_ops(const state::HttpRoute& route, std::optional<size_t> destination,
                    route::HeaderDirection direction) {
  auto ops = [direction](const state::HeadersPolicy& p) -> const state::HeaderOperations& {
    return direction == route::HeaderDirection::kRequest ? p.request : p.response;
  };
  if (!ops(route.headers).empty()) return true;
  return destination && *destination < route.route.size() &&
         !ops(route.route[*destination].headers).empty();
}

void apply_response_ops(Response& response, const state::HttpRoute& route,
                        std::optional<size_t> destination) {
  if (!has_header_ops(route, destination, route::HeaderDirection::kResponse)) return;
  auto headers = to_header_list(response);
  route::apply_route_header_operations(headers, route, destination,
                                       route::HeaderDirection::kResponse);
  replace_fields(response, headers);
}

// The consistent-hash key when the destination's balancer hashes (ring hash, Maglev), with the
// Set-Cookie to send back when the cookie had to be generated.
upstream::RequestHash hash_request(const routing::Destination& dest,
                                   const route::HeaderList& headers, std::string_view path,
                                   const state::Workload* source, const routing::L7Target& target) {
  using P = upstream::LbConfig::Policy;
  const auto& lb = dest.policy.load_balancer;
  if (lb.policy != P::kRingHash && lb.policy != P::kMaglev) return {};
  std::string joined;  // first field of a name; cookies joined with "; " (HTTP/2 crumbs)
  upstream::RequestHashInput in;
  in.header = [&](std::string_view name) -> std::optional<std::string_view> {
    std::optional<std::string_view> first;
    joined.clear();
    for (const auto& f : headers.fields()) {
      if (!route::iequals(f.name, name)) continue;
      if (name != "cookie") return f.value;
      if (!joined.empty()) joined += "; ";
      joined += f.value;
      first = joined;
    }
    return first;
  };
  in.path = path;
  std::string source_ip, connection;
  if (source && !source->ips.empty()) source_ip = source->ips.front().to_string();
  connection = source_ip + "->" + target.original.address().to_string() + ":" +
               std::to_string(target.original.port());
  in.source_ip = source_ip;
  in.connection = connection;
  return upstream::request_hash(lb.hash, in);
}

std::string join_flags(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "," + b;
}

}  // namespace

Response make_local_response(uint32_t status, const std::string& body, unsigned version,
                             bool grpc) {
  return from_local(route::local_reply(status, body, grpc), version);
}

asio::awaitable<void> route_request(transport::ProxyContext& ctx, transport::WorkerState& worker,
                                    WorkerCache& cache,
                                    std::shared_ptr<const routing::L7Config> config,
                                    std::shared_ptr<const transport::PodNetns> pod,
                                    const state::Workload* source, const routing::L7Target& target,
                                    Request& request, Handled& h) {
  h.service = target.service;
  const unsigned version = request.version();
  const bool websocket = upgrade_kind(request) == UpgradeKind::kWebSocket;
  std::string method(request.method_string()), path(request.target());
  std::string authority(request[http::field::host]);
  auto headers = to_header_list(request);
  route::RequestView view;
  view.method = method;
  view.scheme = "http";
  view.authority = authority;
  view.path = path;
  view.headers = &headers;
  view.destination_port = target.port;
  if (source) {
    view.source_labels = &source->labels;
    view.source_namespace = source->namespace_;
  }
  const bool grpc = route::is_grpc_request(view);

  // Without a VirtualService the Service itself is the one destination, with Istio's
  // default retry policy and no timeout: the route Envoy builds for a plain HTTP port.
  std::optional<state::HttpRoute> default_route;  // built only when there is no table
  const state::HttpRoute* spec = nullptr;
  const route::CompiledRoute* compiled = nullptr;
  const route::CompiledMatch* match = nullptr;
  if (const auto* table = config->routes_for(target.service->hostname)) {
    auto selected = table->select(view);
    if (!selected) {
      h.flags = "NR";
      h.response = make_local_response(404, "", version, grpc);
      co_return;
    }
    compiled = selected->route;
    match = selected->match;
    spec = &compiled->spec;
    h.route_name = std::string(selected->name);
  } else {
    default_route.emplace();
    default_route->route.push_back({{target.service->hostname, "", target.port}, 0, {}});
    spec = &*default_route;
    h.route_name = "default";
  }

  if (spec->fault) {
    if (auto delay = route::fault_delay(*spec->fault, cache.routes.rng.next())) {
      asio::steady_timer timer(co_await asio::this_coro::executor, *delay);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      h.flags = "DI";
    }
    if (auto abort = route::fault_abort(*spec->fault, cache.routes.rng.next())) {
      h.flags = join_flags(h.flags, "FI");
      h.response = from_local(
          route::local_reply(abort->http_status, "fault filter abort", grpc, abort->grpc_status),
          version);
      apply_response_ops(h.response, *spec, std::nullopt);
      co_return;
    }
  }
  if (spec->direct_response) {
    h.response = from_local(route::direct_response(*spec->direct_response, grpc), version);
    apply_response_ops(h.response, *spec, std::nullopt);
    co_return;
  }
  if (spec->redirect) {
    auto redirect = route::redirect_response(*spec->redirect, view, *match);
    if (!redirect) {
      h.flags = "NR";  // Istio dropped the action: nothing can answer
      h.response = make_local_response(404, "", version, grpc);
      co_return;
    }
    h.response = Response{static_cast<http::status>(redirect->status), version};
    h.response.set(http::field::location, redirect->location);
    h.response.prepare_payload();
    apply_response_ops(h.response, *spec, std::nullopt);
    co_return;
  }
  std::optional<route::CompiledCors> cors;
  route::CorsDecision cors_decision;
  if (spec->cors_policy) {
    std::vector<std::string> errors;  // validation already reported them
    cors = route::CompiledCors::compile(*spec->cors_policy, &errors);
    cors_decision = route::decide_cors(*cors, view);
    if (cors_decision.verdict == route::CorsVerdict::kAnswerPreflight) {
      h.response = Response{http::status::ok, version};
      for (const auto& f : cors_decision.preflight_headers.fields())
        h.response.insert(f.name, f.value);
      h.response.prepare_payload();
      co_return;
    }
  }

  std::optional<size_t> pick =
      compiled ? config->picker(*compiled).pick(cache.routes.rng.next()) : std::optional<size_t>(0);
  if (!pick) {
    h.flags = "NC";
    h.response = make_local_response(503, "", version, grpc);
    co_return;
  }
  const auto& ref = spec->route[*pick].destination;
  std::string host = compiled ? routing::qualify_host(ref.host, compiled->vs_namespace) : ref.host;
  auto dest_service = config->snapshot()->service_by_host(host);
  if (dest_service) h.service = dest_service;
  uint16_t port = target.port;
  if (ref.port)
    port = static_cast<uint16_t>(*ref.port);
  else if (dest_service && dest_service != target.service && dest_service->ports.size() == 1)
    port = dest_service->ports.front().port;

  auto made = routing::destination_for(cache.routes, config, host, ref.subset, port,
                                       target.original.address(), source);
  if (auto* err = std::get_if<routing::DestinationError>(&made)) {
    h.flags = err->flag;
    h.error = err->message;
    h.response = make_local_response(503, body_for(h.flags), version, grpc);
    co_return;
  }
  auto destination = std::get<std::shared_ptr<routing::Destination>>(std::move(made));

  // The request as it goes upstream: rewritten path and authority, header operations, and
  // our own keep-alive with the upstream (hop-by-hop headers are the proxy's business).
  if (compiled && spec->rewrite)
    if (auto p = compiled->rewrite.apply(path, *match)) request.target(*p);
  if (has_header_ops(*spec, pick, route::HeaderDirection::kRequest)) {
    route::apply_route_header_operations(headers, *spec, pick, route::HeaderDirection::kRequest);
    replace_fields(request, headers);
  }
  if (auto a = route::rewritten_authority(*spec, pick)) request.set(http::field::host, *a);
  for (auto f : {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
                 http::field::expect, http::field::upgrade})
    if (f != http::field::upgrade || !websocket) request.erase(f);
  if (websocket) request.set(http::field::connection, "Upgrade");
  request.version(11);
  if (compiled && !websocket && (spec->mirror || !spec->mirrors.empty()))
    start_mirrors(co_await asio::this_coro::executor, ctx, worker, cache, config, pod, target,
                  *spec, compiled->vs_namespace, request);

  ForwardRequest fwd;
  // An upgrade needs HTTP/1.1 upstream (no extended CONNECT to HTTP/2 upstreams).
  fwd.upgrade = websocket;
  fwd.protocol = websocket ? UpstreamProtocol::kHttp1
                           : upstream_protocol(*destination, request, version == 20);
  // The HTTP/1.1 wire form only when the upstream speaks HTTP/1.1.
  if (fwd.protocol == UpstreamProtocol::kHttp1) fwd.wire = serialize(request);
  fwd.request = &request;
  auto hashed = hash_request(*destination, headers, path, source, target);
  fwd.hash = hashed.hash;
  fwd.original = target.original.address();
  fwd.head = request.method() == http::verb::head;
  fwd.retry = route::effective_retry_policy(spec->retries);
  fwd.timeout = spec->timeout;
  h.upstream = co_await forward(ctx, worker, cache, std::move(pod), destination, fwd);
  h.flags = join_flags(h.flags, h.upstream.flags);
  h.error = h.upstream.error;
  if (h.upstream.response) {
    h.response = std::move(*h.upstream.response);
    h.upstream.response.reset();
    h.response.version(version);
  } else {
    h.response = make_local_response(h.upstream.status, body_for(h.upstream.flags), version, grpc);
  }
  if (hashed.set_cookie) h.response.insert(http::field::set_cookie, *hashed.set_cookie);
  apply_response_ops(h.response, *spec, pick);
  if (cors) {
    auto list = to_header_list(h.response);
    route::add_cors_response_headers(*cors, cors_decision, list);
    replace_fields(h.response, list);
  }
  co_return;
}

}  // namespace zmesh::l7
