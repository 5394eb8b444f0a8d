// JwksFetcher against in-process servers on 127.0.0.1 (plain HTTP, and HTTPS with a
// self-signed certificate trusted through --jwks-ca-file): first fetch, a refresh picking up a
// rotated document, a server gone or a bad document keeping the keys, host checks; parse_url.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fstream>
#include <functional>

#include "app/http_get.h"
#include "app/jwks_fetcher.h"
#include "jwt_test_tokens.h"

namespace zmesh::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

std::string jwks_with(const char* kid) {
  auto key = jwt::test::generate_key("EC", "P-256");
  return jwt::test::jwks_of({jwt::test::public_jwk(key.get(), kid)});
}

// A self-signed certificate (and its key, PEM) naming `san` ("IP:127.0.0.1", "DNS:x").
struct SelfSigned {
  std::string cert_pem;
  std::string key_pem;
};

SelfSigned self_signed(const char* san) {
  auto key = jwt::test::generate_key("EC", "P-256");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("jwks test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_subject_alt_name, san}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    EXPECT_NE(ext, nullptr);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  EXPECT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);
  auto pem = [](auto write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    write(bio.get());
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(size));
  };
  return {pem([&](BIO* b) { PEM_write_bio_X509(b, cert.get()); }), pem([&](BIO* b) {
            PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
          })};
}

std::string write_file(const std::string& name, const std::string& text) {
  std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// Serves `document` (with `status`) to every GET, one request per connection.
class Server {
 public:
  Server(asio::io_context& ioc, const SelfSigned* cert) : ioc_(ioc), acceptor_(ioc) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    if (cert) {
      tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      tls_->use_certificate_chain(asio::buffer(cert->cert_pem));
      tls_->use_private_key(asio::buffer(cert->key_pem), asio::ssl::context::pem);
    }
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
  }
  ~Server() { stop(); }

  std::string uri(const std::string& host = "127.0.0.1") const {
    return std::string(tls_ ? "https://" : "http://") + host + ":" +
           std::to_string(acceptor_.local_endpoint().port()) + "/keys?x=1";
  }
  void stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
  }

  std::string document;
  unsigned status = 200;
  int requests = 0;
  std::string last_target;

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket =
          co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      if (tls_) {
        asio::co_spawn(ioc_, serve_tls(std::move(socket)), asio::detached);
      } else {
        asio::co_spawn(ioc_, serve_plain(std::move(socket)), asio::detached);
      }
    }
  }

  template <typename Stream>
  asio::awaitable<void> respond(Stream& stream) {
    boost::system::error_code ec;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    co_await http::async_read(stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    ++requests;
    last_target = std::string(req.target());
    http::response<http::string_body> res(static_cast<http::status>(status), 11);
    res.set(http::field::content_type, "application/json");
    res.body() = document;
    res.keep_alive(false);
    res.prepare_payload();
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<void> serve_plain(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    co_await respond(stream);
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  asio::awaitable<void> serve_tls(tcp::socket socket) {
    auto stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(socket), *tls_);
    boost::system::error_code ec;
    co_await stream->async_handshake(asio::ssl::stream_base::server,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    co_await respond(*stream);
    co_await stream->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  std::unique_ptr<asio::ssl::context> tls_;
};

std::shared_ptr<const state::Snapshot> naming(const std::vector<std::string>& uris) {
  state::RequestAuthentication ra;
  ra.meta.namespace_ = "shop";
  ra.meta.name = "jwt";
  for (const auto& uri : uris) {
    state::JwtRule rule;
    rule.issuer = "https://issuer.example";
    rule.jwks_uri = uri;
    ra.jwt_rules.push_back(rule);
  }
  return state::Snapshot().with({{nullptr, std::make_shared<const state::Object>(ra)}});
}

jwt::JwksStore::Keys keys_of(const jwt::JwksStore& store, const std::string& uri) {
  state::JwtRule rule;
  rule.jwks_uri = uri;
  return store.keys_for(rule);
}

std::string last_error(const jwt::JwksStore& store, const std::string& uri) {
  const auto status = store.status();  // kept: the loop must not walk a temporary's part
  for (const auto& j : status["jwksUris"]) {
    if (j["uri"] == uri) return j.value("lastError", "");
  }
  return "";
}

// Runs the io_context until `done` holds, for at most `limit`.
bool run_until(asio::io_context& ioc, const std::function<bool()>& done,
               std::chrono::milliseconds limit = 10s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    ioc.run_for(10ms);
    if (ioc.stopped()) ioc.restart();
  }
  return true;
}

std::string kid_of(const jwt::JwksStore::Keys& keys) {
  return keys.keys && !keys.keys->keys.empty() ? keys.keys->keys[0].kid : "";
}

void fetch_rotate_and_keep(bool https) {
  asio::io_context ioc;
  SelfSigned cert = self_signed("IP:127.0.0.1");
  Server server(ioc, https ? &cert : nullptr);
  server.document = jwks_with("k1");
  jwt::JwksStore store;
  JwksFetcherOptions options;
  options.refresh = 1s;
  if (https) options.extra_ca_file = write_file("jwks_ca.pem", cert.cert_pem);
  JwksFetcher fetcher(ioc.get_executor(), store, options);
  const std::string uri = server.uri();

  fetcher.on_snapshot(*naming({uri}));
  ASSERT_TRUE(run_until(ioc, [&] { return keys_of(store, uri).keys != nullptr; }))
      << last_error(store, uri);
  EXPECT_EQ(kid_of(keys_of(store, uri)), "k1");
  EXPECT_EQ(server.last_target, "/keys?x=1");

  // The issuer rotates its keys: the next refresh picks them up.
  server.document = jwks_with("k2");
  ASSERT_TRUE(run_until(ioc, [&] { return kid_of(keys_of(store, uri)) == "k2"; }));
  auto good = keys_of(store, uri);

  // A bad document: an error, and the keys stay.
  server.document = "<html>maintenance</html>";
  ASSERT_TRUE(run_until(ioc, [&] { return !last_error(store, uri).empty(); }));
  EXPECT_NE(last_error(store, uri).find("invalid JSON"), std::string::npos)
      << last_error(store, uri);
  EXPECT_EQ(keys_of(store, uri).version, good.version);

  // An HTTP error status: the same.
  server.document = jwks_with("k3");
  server.status = 503;
  ASSERT_TRUE(run_until(ioc, [&] { return last_error(store, uri) == "HTTP status 503"; }));
  EXPECT_EQ(keys_of(store, uri).version, good.version);

  // The server goes away: retried, the keys stay.
  server.stop();
  ASSERT_TRUE(run_until(ioc, [&] {
    return last_error(store, uri).find("connect") != std::string::npos;
  })) << last_error(store, uri);
  EXPECT_EQ(keys_of(store, uri).version, good.version);
  EXPECT_EQ(kid_of(keys_of(store, uri)), "k2");

  // No longer named: forgotten.
  fetcher.on_snapshot(*naming({}));
  EXPECT_FALSE(keys_of(store, uri).keys);
  ioc.run_for(50ms);
}

TEST(JwksFetcher, HttpFetchRefreshAndKeep) {
  fetch_rotate_and_keep(false);
}

TEST(JwksFetcher, HttpsFetchRefreshAndKeep) {
  fetch_rotate_and_keep(true);
}

TEST(JwksFetcher, HttpsChecksTheServer) {
  asio::io_context ioc;
  SelfSigned trusted_other_name = self_signed("DNS:other.example");
  Server wrong_name(ioc, &trusted_other_name);
  wrong_name.document = jwks_with("k1");
  SelfSigned unknown = self_signed("IP:127.0.0.1");
  Server untrusted(ioc, &unknown);
  untrusted.document = jwks_with("k1");

  jwt::JwksStore store;
  JwksFetcherOptions options;
  options.extra_ca_file = write_file("jwks_other_ca.pem", trusted_other_name.cert_pem);
  JwksFetcher fetcher(ioc.get_executor(), store, options);
  fetcher.on_snapshot(*naming({wrong_name.uri(), untrusted.uri()}));
  ASSERT_TRUE(run_until(ioc, [&] {
    return !last_error(store, wrong_name.uri()).empty() &&
           !last_error(store, untrusted.uri()).empty();
  }));
  EXPECT_NE(last_error(store, wrong_name.uri()).find("IP address mismatch"), std::string::npos)
      << last_error(store, wrong_name.uri());
  EXPECT_NE(last_error(store, untrusted.uri()).find("self-signed"), std::string::npos)
      << last_error(store, untrusted.uri());
  EXPECT_FALSE(keys_of(store, wrong_name.uri()).keys);
  EXPECT_FALSE(keys_of(store, untrusted.uri()).keys);
}

TEST(JwksFetcher, RuleTimeoutBoundsAFetch) {
  asio::io_context ioc;
  // A listener that never answers: the connection is accepted by the kernel, no reply comes.
  tcp::acceptor silent(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  const std::string uri =
      "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/keys";
  state::RequestAuthentication ra;
  ra.meta.namespace_ = "shop";
  ra.meta.name = "slow";
  state::JwtRule rule;
  rule.jwks_uri = uri;
  rule.timeout = 200ms;
  ra.jwt_rules.push_back(rule);
  auto snapshot = state::Snapshot().with({{nullptr, std::make_shared<const state::Object>(ra)}});

  jwt::JwksStore store;
  JwksFetcher fetcher(ioc.get_executor(), store, {});
  auto start = std::chrono::steady_clock::now();
  fetcher.on_snapshot(*snapshot);
  ASSERT_TRUE(run_until(
      ioc, [&] { return !last_error(store, uri).empty(); }, 3s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_NE(last_error(store, uri).find("timed out"), std::string::npos) << last_error(store, uri);
}

TEST(HttpGet, ParseUrl) {
  struct Row {
    const char* text;
    bool ok;
    bool https;
    const char* host;
    const char* port;
    const char* target;
  };
  const Row rows[] = {
      {"https://issuer.example/.well-known/jwks.json", true, true, "issuer.example", "443",
       "/.well-known/jwks.json"},
      {"http://10.0.0.1:8080", true, false, "10.0.0.1", "8080", "/"},
      {"http://[::1]:9/k?a=b#frag", true, false, "::1", "9", "/k?a=b"},
      {"https://[fd00::1]/k", true, true, "fd00::1", "443", "/k"},
      {"http://host?q=1", true, false, "host", "80", "/?q=1"},
      {"ftp://host/k", false, false, "", "", ""},
      {"http://user@host/k", false, false, "", "", ""},
      {"http://host:99999/k", false, false, "", "", ""},
      {"http:///k", false, false, "", "", ""},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.text);
    auto url = parse_url(row.text);
    ASSERT_EQ(url.ok(), row.ok);
    if (!row.ok) continue;
    EXPECT_EQ(url->https, row.https);
    EXPECT_EQ(url->host, row.host);
    EXPECT_EQ(url->port, row.port);
    EXPECT_EQ(url->target, row.target);
  }
}

}  // namespace
}  // namespace zmesh::app
