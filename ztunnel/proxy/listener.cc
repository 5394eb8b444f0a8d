#include "proxy/listener.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bpf/zmesh.h"
#include "net/accept_loop.h"
#include "proxy/inbound.h"
#include "proxy/inbound_hbone.h"
#include "proxy/outbound.h"

namespace zmesh::proxy {
namespace asio = boost::asio;
using asio::ip::tcp;

struct PodListeners::Acceptor {
  tcp::acceptor acceptor;
  explicit Acceptor(asio::io_context& io) : acceptor(io) {}
};

namespace {

asio::awaitable<void> serve_listener(transport::ProxyContext& ctx, transport::WorkerState& worker,
                                     std::shared_ptr<const transport::PodNetns> pod,
                                     ListenerKind kind,
                                     std::shared_ptr<PodListeners::Acceptor> self) {
  auto executor = self->acceptor.get_executor();
  auto on_accept = [&](tcp::socket sock) {
    auto handler = kind == ListenerKind::kOutbound
                       ? handle_outbound(ctx, worker, pod, std::move(sock))
                   : kind == ListenerKind::kInboundPlain
                       ? handle_inbound(ctx, worker, pod, std::move(sock))
                       : handle_inbound_hbone(ctx, worker, pod, std::move(sock));
    asio::co_spawn(executor, std::move(handler), [uid = pod->uid](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("connection handler for pod {}: {}", uid, ex.what());
      }
    });
  };
  co_await accept_loop(self->acceptor, on_accept);
}

}  // namespace

Result<std::unique_ptr<PodListeners>> PodListeners::open(
    transport::ProxyContext& ctx, transport::WorkerPool& pool,
    std::vector<transport::WorkerState>& workers, std::shared_ptr<const transport::PodNetns> pod) {
  auto listeners = std::unique_ptr<PodListeners>(new PodListeners());
  struct Spec {
    ListenerKind kind;
    tcp::endpoint at;
    bool optional;  // [::1] exists only where the pod has IPv6
  };
  const auto v4 = asio::ip::make_address("127.0.0.1"), v6 = asio::ip::make_address("::1");
  const auto any4 = asio::ip::make_address("0.0.0.0");
  for (const Spec& spec :
       {Spec{ListenerKind::kOutbound, {v4, ZMESH_PORT_OUTBOUND}, false},
        Spec{ListenerKind::kOutbound, {v6, ZMESH_PORT_OUTBOUND}, true},
        Spec{ListenerKind::kInboundPlain, {v4, ZMESH_PORT_INBOUND_PLAIN}, false},
        Spec{ListenerKind::kInboundHbone, {any4, ZMESH_PORT_INBOUND_HBONE}, false}}) {
    for (size_t w = 0; w < pool.size(); ++w) {
      auto fd = ctx.sockets.listener(pod->netns.get(), spec.at);
      if (!fd && spec.optional) {
        spdlog::debug("pod {}: no IPv6 outbound listener: {}", pod->uid, fd.error().message);
        break;
      }
      if (!fd) return make_error("pod " + pod->uid + ": listener: " + fd.error().message);
      auto acceptor = std::make_shared<Acceptor>(pool.context(w));
      boost::system::error_code ec;
      int raw = fd->release();
      acceptor->acceptor.assign(spec.at.protocol(), raw, ec);
      if (ec) {
        ::close(raw);
        return make_error("pod " + pod->uid + ": assign listener: " + ec.message());
      }
      if (spec.kind == ListenerKind::kInboundPlain && listeners->inbound_fd_ < 0)
        listeners->inbound_fd_ = raw;
      listeners->acceptors_.push_back(acceptor);
      asio::co_spawn(pool.context(w), serve_listener(ctx, workers[w], pod, spec.kind, acceptor),
                     asio::detached);
    }
  }
  return listeners;
}

PodListeners::~PodListeners() {
  for (auto& a : acceptors_) {
    // Close on the acceptor's own worker: asio objects are not thread safe.
    asio::post(a->acceptor.get_executor(), [a] {
      boost::system::error_code ignored;
      a->acceptor.close(ignored);
    });
  }
}

}  // namespace zmesh::proxy
