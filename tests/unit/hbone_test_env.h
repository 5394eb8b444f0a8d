// Shared by the hbone_* tests: a throwaway certificate, TLS 1.3 + ALPN h2 contexts, an
// HBONE server on loopback, and a way to run a test body as a coroutine on one io_context.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hbone/connection_pool.h"
#include "hbone/server.h"

namespace zmesh::hbone::test {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// ASSERT_* cannot leave a coroutine (it uses `return`).
#define CO_ASSERT_TRUE(cond)                     \
  if (!(cond)) {                                 \
    ADD_FAILURE() << "assertion failed: " #cond; \
    co_return;                                   \
  }

struct TestCert {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
  std::unique_ptr<X509, decltype(&X509_free)> cert{nullptr, X509_free};
};

// Self-signed ECDSA P-256, valid for an hour.
inline TestCert make_test_cert() {
  TestCert c;
  c.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  c.cert.reset(X509_new());
  X509* x = c.cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, c.key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("hbone-test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_sign(x, c.key.get(), EVP_sha256());
  return c;
}

inline int select_h2(SSL*, const unsigned char** out, unsigned char* outlen,
                     const unsigned char* in, unsigned int inlen, void*) {
  static constexpr unsigned char kH2[] = {2, 'h', '2'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kH2, sizeof(kH2), in, inlen) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// TLS 1.3 only, ALPN h2, presenting `cert`; both sides ask for the peer's certificate
// (mutual TLS) but accept any: these tests are not about PKI.
inline std::shared_ptr<asio::ssl::context> make_test_tls(const TestCert& cert, bool server) {
  auto ctx = std::make_shared<asio::ssl::context>(server ? asio::ssl::context::tls_server
                                                         : asio::ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION);
  SSL_CTX_use_certificate(native, cert.cert.get());
  SSL_CTX_use_PrivateKey(native, cert.key.get());
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     [](int, X509_STORE_CTX*) { return 1; });
  if (server) {
    SSL_CTX_set_alpn_select_cb(native, select_h2, nullptr);
  } else {
    static constexpr unsigned char kH2[] = {2, 'h', '2'};
    SSL_CTX_set_alpn_protos(native, kH2, sizeof(kH2));
  }
  return ctx;
}

inline ConnectRequest request_to(const tcp::endpoint& target) {
  ConnectRequest request;
  request.target = target;
  return request;
}

inline asio::awaitable<Result<tcp::socket>> dial_loopback(const tcp::endpoint& to) {
  tcp::socket socket(co_await asio::this_coro::executor);
  boost::system::error_code ec;
  co_await socket.async_connect(to, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return make_error(ec.message());
  co_return std::move(socket);
}

inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Reads until `want` bytes or the end; returns what was read (an error ends it too).
inline asio::awaitable<std::string> read_stream(Stream& stream, size_t want) {
  std::string out;
  std::vector<char> buf(64 * 1024);
  while (out.size() < want) {
    auto n = co_await stream.read_some(asio::buffer(buf));
    if (!n || *n == 0) break;
    out.append(buf.data(), *n);
  }
  co_return out;
}

// Answers 200 and echoes until the client's END_STREAM, then ends its side.
inline asio::awaitable<void> echo_handler(std::shared_ptr<Stream> stream) {
  stream->respond(200);
  std::vector<char> buf(64 * 1024);
  for (;;) {
    auto n = co_await stream->read_some(asio::buffer(buf));
    if (!n || *n == 0) break;
    if (!co_await stream->write(asio::buffer(buf.data(), *n))) co_return;
  }
  stream->close_write();
}

struct ServerState {
  size_t accepted = 0;
  std::vector<std::weak_ptr<TlsSocket>> sockets;  // to kill connections from tests
};

inline asio::awaitable<void> handshake_and_serve(std::shared_ptr<TlsSocket> socket,
                                                 SessionOptions options, ConnectHandler handler) {
  boost::system::error_code ec;
  co_await socket->async_handshake(asio::ssl::stream_base::server,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  co_await serve(std::move(socket), options, std::move(handler));
}

inline asio::awaitable<void> accept_hbone(std::shared_ptr<tcp::acceptor> acceptor,
                                          std::shared_ptr<asio::ssl::context> tls,
                                          SessionOptions options, ConnectHandler handler,
                                          std::shared_ptr<ServerState> state) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    ++state->accepted;
    auto tls_socket = std::make_shared<TlsSocket>(std::move(socket), *tls);
    state->sockets.push_back(tls_socket);
    asio::co_spawn(acceptor->get_executor(), handshake_and_serve(tls_socket, options, handler),
                   asio::detached);
  }
}

class HboneEnv {
 public:
  asio::io_context io;
  TestCert cert = make_test_cert();
  std::shared_ptr<asio::ssl::context> server_tls = make_test_tls(cert, true);
  std::shared_ptr<asio::ssl::context> client_tls = make_test_tls(cert, false);
  std::shared_ptr<ServerState> server = std::make_shared<ServerState>();

  // An HBONE server on 127.0.0.1 running `handler` for each CONNECT.
  tcp::endpoint start_server(SessionOptions options, ConnectHandler handler) {
    auto acceptor =
        std::make_shared<tcp::acceptor>(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptors_.push_back(acceptor);
    asio::co_spawn(io, accept_hbone(acceptor, server_tls, options, std::move(handler), server),
                   asio::detached);
    return acceptor->local_endpoint();
  }

  ConnectOptions connect_options() {
    ConnectOptions options;
    options.dial = dial_loopback;
    options.tls = client_tls;
    options.verify_peer = [](const SSL* ssl) -> Result<void> {
      if (!SSL_get0_peer_certificate(ssl)) return make_error("no server certificate");
      return ok();
    };
    return options;
  }

  // Runs `body` on `io` until it finishes; fails the test if it takes longer than `limit`.
  void run(std::function<asio::awaitable<void>()> body, std::chrono::seconds limit = 10s) {
    bool finished = false;
    std::exception_ptr failure;
    asio::co_spawn(io, body(), [&](std::exception_ptr e) {
      finished = true;
      failure = e;
      io.stop();
    });
    io.restart();
    io.run_for(limit);
    EXPECT_TRUE(finished) << "test body did not finish in time";
    if (failure) std::rethrow_exception(failure);
  }

  ~HboneEnv() {
    for (auto& a : acceptors_) a->close();
  }

 private:
  std::vector<std::shared_ptr<tcp::acceptor>> acceptors_;
};

}  // namespace zmesh::hbone::test
