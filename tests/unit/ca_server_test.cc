// The CA service end to end on loopback: a real CaServer over a temp plug-in CA and config
// dir, RemoteCaSource clients with node credentials from issue-node's code, raw HTTPS posts.
#include "ca/ca_server.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>

#include "ca/ca_service.h"
#include "ca/credential_issuer.h"
#include "ca/https_post.h"
#include "ca/mtls_context.h"
#include "ca/node_credentials.h"
#include "ca/remote_ca_source.h"
#include "ca/service_identities.h"
#include "ca/sign_protocol.h"
#include "config/directory_source.h"
#include "identity/certificate.h"
#include "identity/certificate_authority.h"
#include "identity/csr.h"

namespace zmesh::ca {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using identity::SpiffeId;

constexpr const char* kTd = "cluster.local";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "zmesh-caserver-XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string pod_yaml(const std::string& name, const std::string& node, const std::string& sa,
                     const std::string& ip) {
  return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name +
         ", namespace: shop}\nspec: {nodeName: " + node + ", serviceAccountName: " + sa +
         "}\nstatus: {podIP: \"" + ip + "\"}\n---\n";
}

SpiffeId shop(const std::string& sa) {
  return {kTd, "shop", sa};
}

class CaServerTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    ASSERT_TRUE(identity::CertificateAuthority::create_plugin_dir(ca_dir_, kTd, 24h));
    fs::create_directories(config_dir_);
    write_config(pod_yaml("web-1", "n1", "web", "10.0.0.1") +
                 pod_yaml("db-1", "n2", "db", "10.0.0.2"));
    source_ = std::make_unique<config::DirectorySource>(io_, config_dir_, [this](auto snapshot) {
      store_.publish(std::move(snapshot));
      ++snapshots_;
    });
    auto started = source_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto signer =
        identity::LocalCaSource::open(identity::LocalCaSource::Layout::kPlugin, ca_dir_, kTd);
    ASSERT_TRUE(signer.ok()) << signer.error().message;
    signer_ = std::move(*signer);
    auto tls = make_ca_server_tls(ca_dir_, kTd);
    ASSERT_TRUE(tls.ok()) << tls.error().message;
    server_ = start_server(*tls);
    ASSERT_TRUE(server_);
    auto issuer = CredentialIssuer::load(ca_dir_);
    ASSERT_TRUE(issuer.ok()) << issuer.error().message;
    for (const char* node : {"n1", "n2"}) {
      auto written = write_node_credentials(*issuer, node, kTd, 1h, creds_dir(node));
      ASSERT_TRUE(written.ok()) << written.error().message;
    }
  }

  std::unique_ptr<CaServer> start_server(std::shared_ptr<asio::ssl::context> tls) {
    CaServerOptions options{{asio::ip::make_address("127.0.0.1"), 0}, kTd, 1h};
    auto server = std::make_unique<CaServer>(io_, options, std::move(tls), *signer_, store_);
    if (auto r = server->start(); !r) {
      ADD_FAILURE() << r.error().message;
      return nullptr;
    }
    return server;
  }

  std::string address(const CaServer& server) const {
    return "127.0.0.1:" + std::to_string(server.local_endpoint().port());
  }

  std::string creds_dir(const std::string& node) const { return tmp_.path() + "/node-" + node; }

  void write_config(const std::string& yaml) {
    std::ofstream(fs::path(config_dir_) / "pods.yaml.tmp") << yaml;
    fs::rename(fs::path(config_dir_) / "pods.yaml.tmp", fs::path(config_dir_) / "pods.yaml");
  }

  // Runs `task` on the test's io_context (which also runs the server) until it finishes.
  template <typename T>
  T run(asio::awaitable<T> task) {
    std::optional<T> out;
    asio::co_spawn(
        io_,
        [&out, t = std::move(task)]() mutable -> asio::awaitable<void> {
          out.emplace(co_await std::move(t));
        },
        asio::detached);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!out && std::chrono::steady_clock::now() < deadline) io_.run_for(10ms);
    if (!out) throw std::runtime_error("task did not finish");
    return std::move(*out);
  }

  struct Issued {
    Result<identity::SignedChain> chain;
    identity::EvpPkeyPtr key;
  };

  // Asks the service for `id` as node `node` (its credentials), through RemoteCaSource.
  Issued sign_as(const std::string& node, const SpiffeId& id, std::chrono::seconds ttl = 600s,
                 const CaServer* server = nullptr) {
    auto source = RemoteCaSource::open(io_.get_executor(), address(server ? *server : *server_),
                                       creds_dir(node), kTd);
    if (!source) return {source.error(), nullptr};
    auto csr = identity::make_key_and_csr(id);
    if (!csr) return {csr.error(), nullptr};
    auto chain = run((*source)->sign(csr->csr_pem, id, ttl));
    return {std::move(chain), std::move(csr->key)};
  }

  // A raw HTTPS POST presenting `client` credentials.
  Result<HttpReply> post(const IssuedCredentials& client, const std::string& body,
                         const std::string& path = kCertificatesPath) {
    auto tls = make_mtls_context(TlsRole::kClient, client);
    if (!tls) return tls.error();
    HttpsTarget target{"127.0.0.1", std::to_string(server_->local_endpoint().port()), path,
                       ca_service_identity(kTd)};
    return run(
        https_post(io_.get_executor(), *tls, target, body, std::chrono::steady_clock::now() + 5s));
  }

  Result<HttpReply> post_as(const std::string& node, const std::string& body) {
    auto creds = load_node_credentials(creds_dir(node));
    if (!creds) return creds.error();
    return post(*creds, body);
  }

  TempDir tmp_;
  std::string ca_dir_ = tmp_.path() + "/ca";
  std::string config_dir_ = tmp_.path() + "/config";
  asio::io_context io_;
  state::Store store_;
  int snapshots_ = 0;
  std::unique_ptr<config::DirectorySource> source_;
  std::unique_ptr<identity::LocalCaSource> signer_;
  std::unique_ptr<CaServer> server_;
};

bool chain_verifies(const identity::SignedChain& sc) {
  identity::X509StorePtr store(X509_STORE_new());
  for (const auto& r : sc.roots) X509_STORE_add_cert(store.get(), r.get());
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  for (size_t i = 1; i < sc.chain.size(); ++i) sk_X509_push(untrusted, sc.chain[i].get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store.get(), sc.chain.front().get(), untrusted);
  bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  sk_X509_free(untrusted);
  return ok;
}

TEST_F(CaServerTest, NodeObtainsIdentityOfItsWorkload) {
  auto issued = sign_as("n1", shop("web"));
  ASSERT_TRUE(issued.chain.ok()) << issued.chain.error().message;
  const auto& sc = *issued.chain;
  ASSERT_FALSE(sc.chain.empty());
  EXPECT_TRUE(chain_verifies(sc));
  auto id = identity::spiffe_id_of(sc.chain.front().get());
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->uri(), "spiffe://cluster.local/ns/shop/sa/web");
  // The issued certificate is for the CSR's key, usable as workload credentials.
  std::vector<identity::X509Ptr> chain, roots;
  for (const auto& c : sc.chain) chain.push_back(identity::share(c.get()));
  for (const auto& r : sc.roots) roots.push_back(identity::share(r.get()));
  auto certified =
      identity::make_certified_key(std::move(issued.key), std::move(chain), std::move(roots));
  EXPECT_TRUE(certified.ok()) << certified.error().message;
}

TEST_F(CaServerTest, WorkloadOnAnotherNodeIsRefused) {
  auto issued = sign_as("n1", shop("db"));  // db-1 runs on n2
  ASSERT_FALSE(issued.chain.ok());
  const auto& message = issued.chain.error().message;
  EXPECT_NE(message.find("HTTP 403"), std::string::npos) << message;
  EXPECT_NE(message.find("node n1 may not obtain spiffe://cluster.local/ns/shop/sa/db: no "
                         "workload of it is scheduled there"),
            std::string::npos)
      << message;
}

TEST_F(CaServerTest, NodeIsTheClientCertificateCommonName) {
  auto db = sign_as("n2", shop("db"));
  EXPECT_TRUE(db.chain.ok()) << db.chain.error().message;
  auto web = sign_as("n2", shop("web"));
  ASSERT_FALSE(web.chain.ok());
  EXPECT_NE(web.chain.error().message.find("node n2 may not obtain"), std::string::npos)
      << web.chain.error().message;
}

TEST_F(CaServerTest, ForeignTrustDomainAndUnknownAccountAreRefused) {
  auto foreign = sign_as("n1", SpiffeId{"evil.example", "shop", "web"});
  ASSERT_FALSE(foreign.chain.ok());
  EXPECT_NE(foreign.chain.error().message.find("HTTP 403"), std::string::npos);
  EXPECT_NE(foreign.chain.error().message.find("trust domain evil.example"), std::string::npos)
      << foreign.chain.error().message;
  auto unknown = sign_as("n1", shop("nobody"));
  ASSERT_FALSE(unknown.chain.ok());
  EXPECT_NE(unknown.chain.error().message.find("HTTP 403"), std::string::npos);
}

TEST_F(CaServerTest, TtlIsCappedAtMaxTtl) {
  auto issued = sign_as("n1", shop("web"), 240h);
  ASSERT_TRUE(issued.chain.ok()) << issued.chain.error().message;
  X509* leaf = issued.chain->chain.front().get();
  auto lifetime = identity::not_after(leaf) - identity::not_before(leaf);
  EXPECT_LE(lifetime, 1h + 2min);  // max_ttl 1h plus the backdating for clock skew
}

TEST_F(CaServerTest, MalformedRequestsAre400NamingTheField) {
  struct Case {
    std::string body;
    std::string field;
  };
  auto csr = identity::make_key_and_csr(shop("web"));
  ASSERT_TRUE(csr.ok()) << csr.error().message;
  nlohmann::json good_csr = csr->csr_pem;
  const Case cases[] = {
      {"not json", "body"},
      {"[1,2]", "body"},
      {R"({"identity": "spiffe://cluster.local/ns/shop/sa/web"})", "csr"},
      {R"({"csr": 5, "identity": "spiffe://cluster.local/ns/shop/sa/web"})", "csr"},
      {R"({"csr": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
           "identity": "spiffe://cluster.local/ns/shop/sa/web"})",
       "csr"},
      {R"({"csr": )" + good_csr.dump() + R"(, "identity": "https://web"})", "identity"},
      {R"({"csr": )" + good_csr.dump() + R"(})", "identity"},
      {R"({"csr": )" + good_csr.dump() +
           R"(, "identity": "spiffe://cluster.local/ns/shop/sa/web", "ttl_seconds": -1})",
       "ttl_seconds"},
      {R"({"csr": )" + good_csr.dump() +
           R"(, "identity": "spiffe://cluster.local/ns/shop/sa/web", "ttl_seconds": "1h"})",
       "ttl_seconds"},
  };
  for (const auto& c : cases) {
    auto reply = post_as("n1", c.body);
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    EXPECT_EQ(reply->status, 400u) << c.body;
    EXPECT_EQ(error_message_of(reply->body).rfind(c.field + ":", 0), 0u)
        << c.body << " -> " << reply->body;
  }
  // The same connection setup with a good body is accepted: the 400s were about the body.
  auto good = post_as("n1", sign_request_json(csr->csr_pem, shop("web"), 60s));
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->status, 200u) << good->body;
}

TEST_F(CaServerTest, UnknownPathIs404) {
  auto creds = load_node_credentials(creds_dir("n1"));
  ASSERT_TRUE(creds.ok());
  auto reply = post(*creds, "{}", "/v1/other");
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->status, 404u);
}

TEST_F(CaServerTest, ClientCertificateFromAnotherCaFailsTheHandshake) {
  std::string foreign_dir = tmp_.path() + "/foreign";
  ASSERT_TRUE(identity::CertificateAuthority::create_plugin_dir(foreign_dir, kTd, 24h));
  auto foreign = CredentialIssuer::load(foreign_dir);
  ASSERT_TRUE(foreign.ok()) << foreign.error().message;
  // Same node identity and CN, wrong issuer; trusts the real CA so only the server objects.
  auto creds = foreign->issue({"n1", node_identity(kTd), {}, 1h});
  ASSERT_TRUE(creds.ok()) << creds.error().message;
  auto real = load_node_credentials(creds_dir("n1"));
  ASSERT_TRUE(real.ok());
  creds->roots = std::move(real->roots);
  auto csr = identity::make_key_and_csr(shop("web"));
  ASSERT_TRUE(csr.ok());
  auto reply = post(*creds, sign_request_json(csr->csr_pem, shop("web"), 60s));
  ASSERT_FALSE(reply.ok()) << "HTTP " << reply->status << " " << reply->body;
  // TLS 1.3: the client finishes first and learns of the refusal as an alert on its read.
  EXPECT_NE(reply.error().message.find("alert"), std::string::npos) << reply.error().message;
}

TEST_F(CaServerTest, NonNodeClientIsRefused) {
  auto issuer = CredentialIssuer::load(ca_dir_);
  ASSERT_TRUE(issuer.ok());
  // A workload certificate of the same CA, even with a node name as CN, is not a node.
  auto creds = issuer->issue({"n1", shop("web"), {}, 1h});
  ASSERT_TRUE(creds.ok()) << creds.error().message;
  auto csr = identity::make_key_and_csr(shop("web"));
  ASSERT_TRUE(csr.ok());
  auto reply = post(*creds, sign_request_json(csr->csr_pem, shop("web"), 60s));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->status, 403u);
  EXPECT_NE(error_message_of(reply->body).find("is not a node"), std::string::npos) << reply->body;
}

TEST_F(CaServerTest, ClientRefusesAServerWithAnotherIdentity) {
  auto issuer = CredentialIssuer::load(ca_dir_);
  ASSERT_TRUE(issuer.ok());
  auto creds = issuer->issue({"impostor", shop("web"), {}, 1h});  // same CA, not zmesh-ca
  ASSERT_TRUE(creds.ok()) << creds.error().message;
  auto tls = make_mtls_context(TlsRole::kServer, *creds);
  ASSERT_TRUE(tls.ok()) << tls.error().message;
  auto impostor = start_server(*tls);
  ASSERT_TRUE(impostor);
  auto issued = sign_as("n1", shop("web"), 600s, impostor.get());
  ASSERT_FALSE(issued.chain.ok());
  EXPECT_NE(
      issued.chain.error().message.find("server is spiffe://cluster.local/ns/shop/sa/web, expected "
                                        "spiffe://cluster.local/ns/istio-system/sa/zmesh-ca"),
      std::string::npos)
      << issued.chain.error().message;
}

TEST_F(CaServerTest, AuthorizationFollowsConfigReloads) {
  ASSERT_FALSE(sign_as("n1", shop("api")).chain.ok());
  int before = snapshots_;
  write_config(pod_yaml("web-1", "n1", "web", "10.0.0.1") +
               pod_yaml("api-1", "n1", "api", "10.0.0.3"));
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (snapshots_ == before && std::chrono::steady_clock::now() < deadline) io_.run_for(10ms);
  ASSERT_GT(snapshots_, before) << "no snapshot after the config change";
  auto api = sign_as("n1", shop("api"));
  EXPECT_TRUE(api.chain.ok()) << api.chain.error().message;
}

TEST_F(CaServerTest, ConnectionRefusedIsAnErrorValue) {
  auto port = server_->local_endpoint().port();
  server_.reset();
  io_.run_for(10ms);
  auto source = RemoteCaSource::open(io_.get_executor(), "127.0.0.1:" + std::to_string(port),
                                     creds_dir("n1"), kTd);
  ASSERT_TRUE(source.ok()) << source.error().message;
  EXPECT_EQ((*source)->describe(), "CA service at 127.0.0.1:" + std::to_string(port));
  auto csr = identity::make_key_and_csr(shop("web"));
  ASSERT_TRUE(csr.ok());
  auto r = run((*source)->sign(csr->csr_pem, shop("web"), 60s));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("connect"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace zmesh::ca
