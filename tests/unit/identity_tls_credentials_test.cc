// mTLS contexts from issued certificates: real handshakes over loopback between the server
// and client contexts. Succeeds within one mesh; fails for a foreign CA, an expired
// certificate, another trust domain, a missing client certificate, or a non-h2 ALPN.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>

#include "identity/ca_files.h"
#include "identity/certificate_authority.h"
#include "identity/csr.h"
#include "identity/tls_credentials.h"
#include "identity/x509_builder.h"

namespace zmesh::identity {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using CredsPtr = std::shared_ptr<const TlsCredentials>;

struct Side {
  bool ok = false;                 // handshake done and the 2-byte exchange went through
  std::string error;               // first failure
  long verify_result = X509_V_OK;  // SSL_get_verify_result after the handshake attempt
  std::optional<Result<SpiffeId>> peer;
  std::string alpn;
};

struct Outcome {
  Side server, client;
};

void record(Side& side, ssl::stream<tcp::socket>& s) {
  side.verify_result = SSL_get_verify_result(s.native_handle());
  side.peer.emplace(peer_identity(s.native_handle()));
  const unsigned char* alpn = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(s.native_handle(), &alpn, &len);
  side.alpn.assign(reinterpret_cast<const char*>(alpn), len);
}

// One connection over 127.0.0.1: server and client handshake, then the server sends "ok"
// (so a client whose certificate the server refused sees the failure too, as TLS 1.3
// finishes the client's handshake before the server has checked its certificate).
Outcome connect(ssl::context& server_ctx, ssl::context& client_ctx) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Outcome out;
  auto server = [&]() -> asio::awaitable<void> {
    boost::system::error_code ec;
    tcp::socket sock =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    ssl::stream<tcp::socket> s(std::move(sock), server_ctx);
    co_await s.async_handshake(ssl::stream_base::server,
                               asio::redirect_error(asio::use_awaitable, ec));
    record(out.server, s);
    if (ec) {
      out.server.error = ec.message();
      co_return;
    }
    co_await asio::async_write(s, asio::buffer("ok", 2),
                               asio::redirect_error(asio::use_awaitable, ec));
    out.server.ok = !ec;
    char buf[1];
    co_await s.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
  };
  auto client = [&]() -> asio::awaitable<void> {
    boost::system::error_code ec;
    ssl::stream<tcp::socket> s(io, client_ctx);
    co_await s.next_layer().async_connect(acceptor.local_endpoint(),
                                          asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      co_await s.async_handshake(ssl::stream_base::client,
                                 asio::redirect_error(asio::use_awaitable, ec));
      record(out.client, s);
    }
    if (ec) {
      out.client.error = ec.message();
      co_return;
    }
    char buf[2];
    co_await asio::async_read(s, asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    out.client.ok = !ec && std::string(buf, 2) == "ok";
    if (ec) out.client.error = ec.message();
  };
  asio::co_spawn(io, server, asio::detached);
  asio::co_spawn(io, client, asio::detached);
  io.run_for(10s);
  return out;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "zmesh-tls-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ca_ = embedded(dir_ + "/mesh");
    ASSERT_TRUE(ca_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::unique_ptr<CertificateAuthority> embedded(const std::string& dir) {
    auto ca = CertificateAuthority::load_or_create_embedded(dir, "cluster.local");
    EXPECT_TRUE(ca) << ca.error().message;
    return ca ? std::move(*ca) : nullptr;
  }

  // `also_trusted`: an extra root the holder trusts besides its own CA's.
  static CredsPtr creds(const CertificateAuthority& ca, const SpiffeId& id,
                        const X509* also_trusted = nullptr) {
    auto kc = make_key_and_csr(id);
    EXPECT_TRUE(kc);
    auto sc = ca.sign(kc->csr_pem, id, 3600s);
    EXPECT_TRUE(sc) << sc.error().message;
    if (also_trusted) sc->roots.push_back(share(const_cast<X509*>(also_trusted)));
    auto ck = make_certified_key(std::move(kc->key), std::move(sc->chain), std::move(sc->roots));
    EXPECT_TRUE(ck) << ck.error().message;
    auto c =
        make_tls_credentials(std::make_shared<const CertifiedKey>(std::move(*ck)), "cluster.local");
    EXPECT_TRUE(c) << c.error().message;
    return *c;
  }

  std::string dir_;
  std::unique_ptr<CertificateAuthority> ca_;
  SpiffeId web_{"cluster.local", "shop", "web"};
  SpiffeId db_{"cluster.local", "shop", "db"};
};

TEST_F(TlsTest, HandshakeSucceedsAndEachSideSeesThePeerIdentity) {
  auto server = creds(*ca_, db_), client = creds(*ca_, web_);
  auto out = connect(*server->server, *client->client);
  ASSERT_TRUE(out.server.ok) << out.server.error;
  ASSERT_TRUE(out.client.ok) << out.client.error;
  ASSERT_TRUE(out.server.peer && *out.server.peer) << out.server.peer->error().message;
  EXPECT_EQ(**out.server.peer, web_);
  ASSERT_TRUE(out.client.peer && *out.client.peer) << out.client.peer->error().message;
  EXPECT_EQ(**out.client.peer, db_);
  EXPECT_EQ(out.server.alpn, "h2");
  EXPECT_EQ(out.client.alpn, "h2");
}

TEST_F(TlsTest, ClientCertificateFromAnotherCaIsRefused) {
  auto other = embedded(dir_ + "/other");
  ASSERT_TRUE(other);
  // The client trusts our root too (it is public), so only its own certificate is wrong.
  auto server = creds(*ca_, db_), client = creds(*other, web_, ca_->roots()[0].get());
  auto out = connect(*server->server, *client->client);
  EXPECT_FALSE(out.server.ok);
  EXPECT_FALSE(out.client.ok);
  EXPECT_EQ(out.server.verify_result, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_F(TlsTest, ServerCertificateFromAnotherCaIsRefused) {
  auto other = embedded(dir_ + "/other");
  ASSERT_TRUE(other);
  auto server = creds(*other, db_, ca_->roots()[0].get()), client = creds(*ca_, web_);
  auto out = connect(*server->server, *client->client);
  EXPECT_FALSE(out.client.ok);
  EXPECT_FALSE(out.server.ok);
  EXPECT_EQ(out.client.verify_result, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_F(TlsTest, ExpiredClientCertificateIsRefused) {
  // A leaf from the real mesh CA whose validity ended an hour ago.
  auto ca_key = parse_pem_key(read_file(dir_ + "/mesh/ca-key.pem").value());
  ASSERT_TRUE(ca_key);
  auto leaf_key = generate_p256_key();
  ASSERT_TRUE(leaf_key);
  auto now = std::chrono::system_clock::now();
  CertSpec spec{.common_name = {},
                .organization = {},
                .uri_sans = {web_.uri()},
                .is_ca = false,
                .not_before = now - 2h,
                .not_after = now - 1h};
  auto leaf = build_certificate(spec, leaf_key->get(), ca_->roots()[0].get(), ca_key->get());
  ASSERT_TRUE(leaf) << leaf.error().message;
  std::vector<X509Ptr> chain, roots;
  chain.push_back(std::move(*leaf));
  roots.push_back(share(ca_->roots()[0].get()));
  auto ck = make_certified_key(std::move(*leaf_key), std::move(chain), std::move(roots));
  ASSERT_TRUE(ck) << ck.error().message;
  auto client =
      make_tls_credentials(std::make_shared<const CertifiedKey>(std::move(*ck)), "cluster.local");
  ASSERT_TRUE(client);

  auto server = creds(*ca_, db_);
  auto out = connect(*server->server, *(*client)->client);
  EXPECT_FALSE(out.server.ok);
  EXPECT_FALSE(out.client.ok);
  EXPECT_EQ(out.server.verify_result, X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST_F(TlsTest, PeerFromAnotherTrustDomainIsRefused) {
  SpiffeId foreign{"evil.example", "shop", "web"};
  auto server = creds(*ca_, db_);
  auto foreign_client = creds(*ca_, foreign);
  auto out = connect(*server->server, *foreign_client->client);
  EXPECT_FALSE(out.server.ok);
  EXPECT_FALSE(out.client.ok);
  EXPECT_EQ(out.server.verify_result, X509_V_ERR_APPLICATION_VERIFICATION);

  auto foreign_server = creds(*ca_, foreign);
  auto client = creds(*ca_, web_);
  out = connect(*foreign_server->server, *client->client);
  EXPECT_FALSE(out.client.ok);
  EXPECT_FALSE(out.server.ok);
  EXPECT_EQ(out.client.verify_result, X509_V_ERR_APPLICATION_VERIFICATION);
}

TEST_F(TlsTest, ClientWithoutCertificateIsRefused) {
  auto server = creds(*ca_, db_);
  ssl::context bare(ssl::context::tls);
  SSL_CTX_set_min_proto_version(bare.native_handle(), TLS1_3_VERSION);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(bare.native_handle()), ca_->roots()[0].get());
  bare.set_verify_mode(ssl::verify_peer);
  auto out = connect(*server->server, bare);
  EXPECT_FALSE(out.server.ok);
  EXPECT_FALSE(out.client.ok);
}

TEST_F(TlsTest, ClientOfferingOnlyOtherAlpnIsRefused) {
  auto server = creds(*ca_, db_), client = creds(*ca_, web_);
  const unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  ASSERT_EQ(SSL_CTX_set_alpn_protos(client->client->native_handle(), http11, sizeof(http11)), 0);
  auto out = connect(*server->server, *client->client);
  EXPECT_FALSE(out.server.ok);
  EXPECT_FALSE(out.client.ok);
}

TEST_F(TlsTest, Tls12IsRefused) {
  auto server = creds(*ca_, db_), client = creds(*ca_, web_);
  SSL_CTX_set_min_proto_version(client->client->native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(client->client->native_handle(), TLS1_2_VERSION);
  auto out = connect(*server->server, *client->client);
  EXPECT_FALSE(out.server.ok);
  EXPECT_FALSE(out.client.ok);
}

TEST_F(TlsTest, BothRootsOfARotationVerify) {
  // Old mesh A and new mesh B, each trusting both roots during the overlap.
  std::string a = dir_ + "/a", b = dir_ + "/b";
  ASSERT_TRUE(CertificateAuthority::create_plugin_dir(a, "cluster.local", 3600s));
  ASSERT_TRUE(CertificateAuthority::create_plugin_dir(b, "cluster.local", 3600s));
  std::string both =
      read_file(a + "/root-cert.pem").value() + read_file(b + "/root-cert.pem").value();
  std::ofstream(a + "/root-cert.pem", std::ios::trunc) << both;
  std::ofstream(b + "/root-cert.pem", std::ios::trunc) << both;
  auto ca_a = CertificateAuthority::load_plugin(a);
  auto ca_b = CertificateAuthority::load_plugin(b);
  ASSERT_TRUE(ca_a) << ca_a.error().message;
  ASSERT_TRUE(ca_b) << ca_b.error().message;
  EXPECT_EQ((*ca_a)->roots().size(), 2u);

  auto old_server = creds(**ca_a, db_), new_client = creds(**ca_b, web_);
  auto out = connect(*old_server->server, *new_client->client);
  EXPECT_TRUE(out.server.ok) << out.server.error;
  EXPECT_TRUE(out.client.ok) << out.client.error;

  auto new_server = creds(**ca_b, db_), old_client = creds(**ca_a, web_);
  out = connect(*new_server->server, *old_client->client);
  EXPECT_TRUE(out.server.ok) << out.server.error;
  EXPECT_TRUE(out.client.ok) << out.client.error;
}

TEST_F(TlsTest, IntermediateTravelsInTheChain) {
  // Plug-in layout root -> intermediate; peers trust only the root, so each side must send
  // its intermediate.
  std::string dir = dir_ + "/inter";
  ASSERT_TRUE(CertificateAuthority::create_plugin_dir(dir, "cluster.local", 3600s));
  auto root = parse_pem_certs(read_file(dir + "/root-cert.pem").value());
  auto root_key = parse_pem_key(read_file(dir + "/ca-key.pem").value());
  auto inter_key = generate_p256_key();
  ASSERT_TRUE(root && root_key && inter_key);
  auto now = std::chrono::system_clock::now();
  CertSpec spec{.common_name = "zmesh intermediate",
                .organization = "cluster.local",
                .uri_sans = {},
                .is_ca = true,
                .not_before = now - 1h,
                .not_after = now + 2h};
  auto inter = build_certificate(spec, inter_key->get(), root->front().get(), root_key->get());
  ASSERT_TRUE(inter) << inter.error().message;
  std::string inter_pem = to_pem(inter->get());
  ASSERT_TRUE(write_file_atomic(dir + "/ca-cert.pem", inter_pem, 0644));
  ASSERT_TRUE(write_file_atomic(dir + "/ca-key.pem", key_to_pem(inter_key->get()), 0600));
  ASSERT_TRUE(
      write_file_atomic(dir + "/cert-chain.pem", inter_pem + to_pem(root->front().get()), 0644));
  auto ca = CertificateAuthority::load_plugin(dir);
  ASSERT_TRUE(ca) << ca.error().message;

  auto server = creds(**ca, db_), client = creds(**ca, web_);
  ASSERT_EQ(server->cert->intermediates.size(), 1u);
  ASSERT_EQ(server->cert->roots.size(), 1u);
  auto out = connect(*server->server, *client->client);
  EXPECT_TRUE(out.server.ok) << out.server.error;
  EXPECT_TRUE(out.client.ok) << out.client.error;
}

TEST_F(TlsTest, PeerIdentityWithoutAPeerIsAnError) {
  auto c = creds(*ca_, web_);
  std::unique_ptr<SSL, OpensslFree<SSL_free>> s(SSL_new(c->client->native_handle()));
  auto id = peer_identity(s.get());
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().message.find("no certificate"), std::string::npos);
}

}  // namespace
}  // namespace zmesh::identity
