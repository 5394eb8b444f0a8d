// The destination's own connection to the app, for one client connection of the inbound HTTP
// pipeline: dialed inside the pod (pod ip:port, from the pod's netns, as the L4 path does),
// then kept alive for that client's next requests, as Envoy's inbound cluster does. It speaks
// what the client spoke (Istio's inbound USE_DOWNSTREAM_PROTOCOL): HTTP/1.1 on one keep-alive
// connection, HTTP/2 on one multiplexed connection shared by the client's streams.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>

#include "l7/h2_upstream_connection.h"
#include "l7/http_message.h"
#include "l7/upstream_pool.h"
#include "transport/pod_netns.h"
#include "transport/proxy_context.h"

namespace zmesh::l7 {

// What the app answered; no response: `error` says why (the app refused or broke the
// connection: Envoy's 503 UF / UC).
struct AppReply {
  std::optional<Response> response;
  std::string flags;  // "UF" (connect failure) or "UC" (connection broke) without a response
  std::string error;
  std::unique_ptr<UpstreamConnection> tunnel;  // after a 101: the app connection, now a tunnel's
};

class AppLink {
 public:
  AppLink(transport::ProxyContext& ctx, std::shared_ptr<const transport::PodNetns> pod,
          boost::asio::ip::tcp::endpoint app)
      : ctx_(ctx), pod_(std::move(pod)), app_(app) {}

  // One request, on the HTTP/1.1 connection (opened or re-opened as needed). `upgrade`: a 101
  // hands the connection over (AppReply::tunnel).
  boost::asio::awaitable<AppReply> send_http1(const Request& request, bool head, bool upgrade);
  // One request on its own stream of the HTTP/2 connection; concurrent calls share it.
  boost::asio::awaitable<AppReply> send_http2(const Request& request, bool head);

 private:
  boost::asio::awaitable<Result<std::unique_ptr<transport::UpstreamChannel>>> dial();

  transport::ProxyContext& ctx_;
  std::shared_ptr<const transport::PodNetns> pod_;
  boost::asio::ip::tcp::endpoint app_;
  std::unique_ptr<UpstreamConnection> http1_;
  std::shared_ptr<H2UpstreamConnection> http2_;
};

}  // namespace zmesh::l7
