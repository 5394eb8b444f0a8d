#include "ca/ca_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <set>

#include "ca/certificate_handler.h"
#include "ca/sign_protocol.h"
#include "common/endpoint_text.h"
#include "net/accept_loop.h"
#include "net/tcp_listen.h"

namespace zmesh::ca {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr auto kWriteTimeout = std::chrono::seconds(10);
constexpr auto kShutdownTimeout = std::chrono::seconds(2);
// A CSR is about 1 KiB; nothing legitimate comes near these.
constexpr uint64_t kBodyLimit = 64 << 10;
constexpr uint32_t kHeaderLimit = 8 << 10;

http::response<http::string_body> make_response(const HttpAnswer& a, bool keep_alive) {
  http::response<http::string_body> res;
  res.version(11);
  res.result(a.status);
  res.set(http::field::server, "zmesh-ca");
  res.set(http::field::content_type, "application/json");
  res.body() = a.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// Malformed HTTP gets one answer; transport errors and a clean close just end the session.
bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

class SessionRegistration {
 public:
  SessionRegistration(std::set<beast::tcp_stream*>& set, beast::tcp_stream* s) : set_(set), s_(s) {
    set_.insert(s_);
  }
  ~SessionRegistration() { set_.erase(s_); }
  SessionRegistration(const SessionRegistration&) = delete;
  SessionRegistration& operator=(const SessionRegistration&) = delete;

 private:
  std::set<beast::tcp_stream*>& set_;
  beast::tcp_stream* s_;
};

}  // namespace

struct CaServer::Impl {
  Impl(asio::io_context& io, CaServerOptions options, std::shared_ptr<asio::ssl::context> tls,
       identity::CertificateSource& signer, const state::Store& config)
      : io(io),
        listen(options.listen),
        tls(std::move(tls)),
        handler(options.trust_domain, options.max_ttl, signer, config),
        acceptor(io) {}

  asio::io_context& io;
  tcp::endpoint listen;
  std::shared_ptr<asio::ssl::context> tls;
  CertificateHandler handler;
  tcp::acceptor acceptor;
  std::set<beast::tcp_stream*> sessions;  // closed by ~CaServer
  bool stopped = false;
};

namespace {

// Templates over Impl, which is private to CaServer.
// One request/response exchange; false when the session should end.
template <typename Impl>
asio::awaitable<bool> exchange(Impl& self, TlsStream& stream, beast::flat_buffer& buffer,
                               const Result<PeerCertificate>& peer) {
  beast::error_code ec;
  http::request_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  parser.header_limit(kHeaderLimit);
  beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (self.stopped || (ec && !is_parse_error(ec))) co_return false;
  HttpAnswer answer;
  bool keep_alive = false;
  if (ec) {  // the framing is lost: answer once, then close
    unsigned status = ec == http::error::body_limit     ? 413
                      : ec == http::error::header_limit ? 431
                                                        : 400;
    answer = HttpAnswer{status, error_json("bad request: " + ec.message())};
  } else {
    const auto& req = parser.get();
    keep_alive = req.keep_alive();
    answer = co_await self.handler.handle(
        peer, std::string_view(req.method_string().data(), req.method_string().size()),
        std::string_view(req.target().data(), req.target().size()), req.body());
    if (self.stopped) co_return false;
  }
  auto res = make_response(answer, keep_alive);
  beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
  co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec && keep_alive;
}

template <typename Impl>
asio::awaitable<void> serve(std::shared_ptr<Impl> self, tcp::socket socket) {
  beast::error_code ec;
  const std::string from = endpoint_text(socket.remote_endpoint(ec));
  auto tls = self->tls;  // set_tls may replace it while this session runs
  TlsStream stream(std::move(socket), *tls);
  SessionRegistration registration(self->sessions, &beast::get_lowest_layer(stream));
  beast::flat_buffer buffer;
  beast::get_lowest_layer(stream).expires_after(kHandshakeTimeout);
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (self->stopped) co_return;
  if (ec) {
    spdlog::warn("ca: TLS handshake with {} failed: {}", from, ec.message());
    co_return;
  }
  const Result<PeerCertificate> peer = verified_peer(stream.native_handle());
  while (co_await exchange(*self, stream, buffer, peer)) {
  }
  if (self->stopped) co_return;
  beast::get_lowest_layer(stream).expires_after(kShutdownTimeout);
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

template <typename Impl>
asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
  auto on_accept = [self](tcp::socket socket) {
    if (!self->stopped) asio::co_spawn(self->io, serve(self, std::move(socket)), asio::detached);
  };
  co_await zmesh::accept_loop(self->acceptor, on_accept);
}

}  // namespace

CaServer::CaServer(asio::io_context& io, CaServerOptions options,
                   std::shared_ptr<asio::ssl::context> tls, identity::CertificateSource& signer,
                   const state::Store& config)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(tls), signer, config)) {}

CaServer::~CaServer() {
  impl_->stopped = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  for (auto* s : impl_->sessions) s->socket().close(ec);
}

Result<void> CaServer::start() {
  if (auto listening = listen_tcp(impl_->acceptor, impl_->listen); !listening) return listening;
  asio::co_spawn(impl_->io, accept_loop(impl_), asio::detached);
  return ok();
}

asio::ip::tcp::endpoint CaServer::local_endpoint() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? impl_->listen : ep;
}

void CaServer::set_tls(std::shared_ptr<asio::ssl::context> tls) {
  impl_->tls = std::move(tls);
}

}  // namespace zmesh::ca
