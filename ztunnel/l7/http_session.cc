#include "l7/http_session.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <chrono>
#include <vector>

#include "l7/grpc_status.h"
#include "l7/h2_server_session.h"
#include "l7/request_report.h"
#include "l7/upgrade.h"
#include "l7/upgrade_tunnel.h"
#include "l7/worker_cache.h"
#include "routing/http_ports.h"
#include "state/ip_key.h"

namespace zmesh::l7 {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Reads one request. Answers `Expect: 100-continue` itself, since the whole body is read
// before anything goes upstream. false on a clean close; a parse error leaves `bad` set.
asio::awaitable<bool> read_request(tcp::socket& client, boost::beast::flat_buffer& buffer,
                                   Request& out, bool& bad) {
  http::request_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  parser.header_limit(kMaxHeader);
  boost::system::error_code ec;
  co_await http::async_read_header(client, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (!ec && parser.get()[http::field::expect] == "100-continue") {
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    co_await asio::async_write(client, asio::buffer(kContinue),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  // A request without a body is complete with its header: skip async_read, whose completion
  // would still go through the scheduler once more.
  if (!ec && !parser.is_done())
    co_await http::async_read(client, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    bad = ec != http::error::end_of_stream && ec != asio::error::eof &&
          ec != asio::error::connection_reset && ec != asio::error::operation_aborted &&
          buffer.size() + parser.got_some() > 0;
    co_return false;
  }
  out = parser.release();
  co_return true;
}

}  // namespace

// Frames stay small (big objects on the heap, writing in its own coroutine): GCC 12 warns
// falsely (-Wmismatched-new-delete) about Asio's frame allocator for large coroutine frames.
asio::awaitable<boost::system::error_code> write_response(tcp::socket& client, Response& response,
                                                          bool head) {
  boost::system::error_code ec;
  if (head) {  // the headers of what a GET would get; no body
    http::response_serializer<http::string_body> sr{response};
    sr.split(true);
    co_await http::async_write_header(client, sr, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await http::async_write(client, response, asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return ec;
}

namespace {

// What the requests of one app connection share.
struct Downstream {
  transport::ProxyContext& ctx;
  transport::WorkerState& worker;
  WorkerCache& cache;
  std::shared_ptr<const transport::PodNetns> pod;
  transport::ConnectionPeers peers;
  routing::L7Target target;
};

// Routes one request, HTTP/1.1 or HTTP/2 alike. New requests see the newest config; this one
// keeps the snapshot it started with.
asio::awaitable<void> route_one(Downstream& d, Request& request, Handled& handled,
                                RequestFacts& facts) {
  auto snapshot = d.ctx.store.current();
  auto config = routing::config_for(d.cache.routes, snapshot);
  routing::L7Target now = d.target;
  if (auto s = snapshot->service_by_host(d.target.service->hostname)) now.service = s;

  note_request(request, snapshot->tracing(), d.worker.trace_rng, facts);
  const unsigned version = request.version();
  const auto upgrade = upgrade_kind(request);
  if (version != 10 && request.find(http::field::host) == request.end()) {
    handled.response = make_local_response(400, "missing Host header", version);
    handled.service = now.service;
  } else if ((version == 20 && request.method() == http::verb::connect) ||
             upgrade == UpgradeKind::kOther) {
    // Envoy answers CONNECT and upgrades other than WebSocket with 403 (upgrade_failed):
    // Istio configures only the websocket upgrade.
    handled.response = make_local_response(403, "", version);
    handled.service = now.service;
  } else {
    if (upgrade == UpgradeKind::kH2c) drop_h2c_offer(request);
    co_await route_request(d.ctx, d.worker, d.cache, config, d.pod, d.peers.source, now, request,
                           handled);
  }
}

// The client went away before its response: Envoy's DC, response code 0.
void mark_downstream_closed(Handled& handled, const std::string& why) {
  handled.flags = handled.flags.empty() ? "DC" : handled.flags + ",DC";
  handled.response.result(0u);
  if (handled.error.empty()) handled.error = "downstream closed: " + why;
}

// One HTTP/2 stream's request: routed and reported as soon as its response is ready (the
// session sends it on its own time).
asio::awaitable<void> serve_h2_request(Downstream& d, Request& request, Response& response,
                                       const H2ServerSession::Gone& gone) {
  auto started = std::chrono::steady_clock::now();
  auto facts = std::make_unique<RequestFacts>();
  auto handled = std::make_unique<Handled>();
  co_await route_one(d, request, *handled, *facts);
  facts->response_bytes = handled->response.body().size();
  if (gone()) mark_downstream_closed(*handled, "stream reset by the client");
  facts->duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  report_request(d.ctx, d.worker, d.cache, d.peers, *handled, *facts);
  response = std::move(handled->response);
}

asio::awaitable<void> serve_h2(Downstream& d, tcp::socket& client,
                               const boost::beast::flat_buffer& buffer) {
  auto bytes = buffer.data();
  const auto* first = static_cast<const uint8_t*>(bytes.data());
  std::vector<uint8_t> preread(first, first + bytes.size());
  Downstream* downstream = &d;  // outlives the session: run() waits for every handler
  auto session = std::make_shared<H2ServerSession>(
      client,
      [downstream](Request& request, Response& response, const H2ServerSession::Gone& gone) {
        return serve_h2_request(*downstream, request, response, gone);
      });
  co_await H2ServerSession::run(std::move(session), std::move(preread));
}

// Whether the client closed (FIN or reset) while its request was being routed. Envoy resets
// the stream then (flag DC); a write alone would not tell, as the first send after a FIN
// succeeds. Bytes of a pipelined next request mean it is still there.
bool client_gone(tcp::socket& client) {
  char c;
  ssize_t n = ::recv(client.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

// Reads until the first bytes tell HTTP/2 with prior knowledge (the client preface) from
// HTTP/1.1. The bytes stay in `buffer` for whichever parser takes them. false: closed first.
asio::awaitable<bool> sniff_h2(tcp::socket& client, boost::beast::flat_buffer& buffer, bool& h2) {
  for (;;) {
    auto bytes = buffer.data();
    auto match = match_h2_preface({static_cast<const char*>(bytes.data()), bytes.size()});
    if (match != PrefaceMatch::kPartial) {
      h2 = match == PrefaceMatch::kYes;
      co_return true;
    }
    boost::system::error_code ec;
    size_t n = co_await client.async_read_some(buffer.prepare(4096),
                                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    buffer.commit(n);
  }
}

}  // namespace

asio::awaitable<void> serve_http(transport::ProxyContext& ctx, transport::WorkerState& worker,
                                 std::shared_ptr<const transport::PodNetns> pod, tcp::socket client,
                                 transport::ConnectionPeers peers, routing::L7Target target) {
  auto d = std::make_unique<Downstream>(Downstream{
      ctx, worker, worker_cache(worker), std::move(pod), std::move(peers), std::move(target)});
  auto buffer = std::make_unique<boost::beast::flat_buffer>();
  bool h2 = false;
  if (!co_await sniff_h2(client, *buffer, h2)) co_return;
  if (h2) {  // h2c with prior knowledge (gRPC, curl --http2-prior-knowledge)
    co_await serve_h2(*d, client, *buffer);
    co_return;
  }
  for (;;) {
    auto request = std::make_unique<Request>();
    bool bad = false;
    bool got = co_await read_request(client, *buffer, *request, bad);
    auto started = std::chrono::steady_clock::now();
    if (!got) {
      if (bad) {  // malformed: 400 and close, as Envoy's codec does
        auto r = std::make_unique<Response>(make_local_response(400, "Bad Request", 11));
        r->keep_alive(false);
        co_await write_response(client, *r, false);
      }
      co_return;
    }
    const bool keep_alive = request->keep_alive();
    const bool head = request->method() == http::verb::head;
    auto facts = std::make_unique<RequestFacts>();
    auto handled = std::make_unique<Handled>();
    co_await route_one(*d, *request, *handled, *facts);
    if (handled->upstream.tunnel && handled->response.result_int() == 101) {
      // A WebSocket: the connection is the tunnel's from here on; reported when it ends.
      auto tunnel = std::move(handled->upstream.tunnel);
      auto moved =
          co_await run_upgrade_tunnel(std::move(client), *buffer, handled->response, *tunnel);
      facts->request_bytes += moved.client_to_upstream;
      facts->response_bytes = moved.upstream_to_client;
      facts->duration = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - started);
      if (!moved.error.empty()) handled->error = moved.error;
      report_request(ctx, worker, d->cache, d->peers, *handled, *facts);
      co_return;
    }
    auto& response = handled->response;
    for (auto f : {http::field::connection, http::field::keep_alive}) response.erase(f);
    response.keep_alive(keep_alive);
    facts->response_bytes = response.body().size();
    boost::system::error_code ec;
    if (client_gone(client))
      ec = asio::error::connection_aborted;
    else
      ec = co_await write_response(client, response, head);
    facts->duration = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    if (ec) mark_downstream_closed(*handled, ec.message());
    report_request(ctx, worker, d->cache, d->peers, *handled, *facts);
    if (ec || !keep_alive) {
      client.shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
  }
}

}  // namespace zmesh::l7
