// SPIFFE ids: strict parsing of Istio's spiffe://<td>/ns/<ns>/sa/<sa>, formatting, and reading
// the id back from a certificate's URI SAN.
#include <gtest/gtest.h>

#include <chrono>

#include "identity/spiffe_id.h"
#include "identity/x509_builder.h"

namespace zmesh::identity {
namespace {

TEST(SpiffeIdTest, ParsesAndFormats) {
  struct Case {
    const char* uri;
    SpiffeId want;
  };
  const Case cases[] = {
      {"spiffe://cluster.local/ns/default/sa/web", {"cluster.local", "default", "web"}},
      {"spiffe://example.org/ns/kube-system/sa/my_sa.v2",
       {"example.org", "kube-system", "my_sa.v2"}},
      {"spiffe://td-1_x/ns/A/sa/B", {"td-1_x", "A", "B"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.uri);
    auto id = SpiffeId::parse(c.uri);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(*id, c.want);
    EXPECT_EQ(id->uri(), c.uri);
  }
}

TEST(SpiffeIdTest, RejectsMalformedIdsSayingWhy) {
  struct Case {
    const char* uri;
    const char* why;
  };
  const Case cases[] = {
      {"", "scheme"},
      {"http://cluster.local/ns/a/sa/b", "scheme"},
      {"SPIFFE://cluster.local/ns/a/sa/b", "scheme"},
      {"spiffe:/cluster.local/ns/a/sa/b", "scheme"},
      {"spiffe:///ns/a/sa/b", "empty trust domain"},
      {"spiffe://Cluster.Local/ns/a/sa/b", "trust domain"},
      {"spiffe://cluster.local:443/ns/a/sa/b", "trust domain"},
      {"spiffe://cluster.local", "missing path"},
      {"spiffe://cluster.local/", "path must be"},
      {"spiffe://cluster.local/ns/a", "path must be"},
      {"spiffe://cluster.local/ns/a/sa", "path must be"},
      {"spiffe://cluster.local/ns/a/sa/", "service account"},
      {"spiffe://cluster.local/ns//sa/b", "namespace"},
      {"spiffe://cluster.local/ns/../sa/b", "namespace"},
      {"spiffe://cluster.local/namespace/a/sa/b", "/ns/"},
      {"spiffe://cluster.local/ns/a/serviceaccount/b", "/sa/"},
      {"spiffe://cluster.local/ns/a/sa/b/", "after /sa/"},
      {"spiffe://cluster.local/ns/a/sa/b/c", "after /sa/"},
      {"spiffe://cluster.local/ns/a/sa/b?x=1", "service account"},
      {"spiffe://cluster.local/ns/a b/sa/c", "namespace"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.uri);
    auto id = SpiffeId::parse(c.uri);
    ASSERT_FALSE(id);
    EXPECT_NE(id.error().message.find(c.why), std::string::npos) << id.error().message;
  }
}

TEST(SpiffeIdTest, OrdersForUseAsMapKey) {
  SpiffeId a{"cluster.local", "a", "x"}, b{"cluster.local", "b", "x"};
  EXPECT_LT(a, b);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, (SpiffeId{"cluster.local", "a", "x"}));
}

X509Ptr cert_with(const std::vector<std::string>& uris) {
  auto key = generate_p256_key();
  EXPECT_TRUE(key);
  auto now = std::chrono::system_clock::now();
  CertSpec spec{.common_name = uris.empty() ? "no-san" : "",
                .organization = {},
                .uri_sans = uris,
                .is_ca = false,
                .not_before = now,
                .not_after = now + std::chrono::hours(1)};
  auto cert = build_certificate(spec, key->get(), nullptr, key->get());
  EXPECT_TRUE(cert) << cert.error().message;
  return std::move(*cert);
}

TEST(SpiffeIdTest, ReadsTheUriSanOfACertificate) {
  auto cert = cert_with({"spiffe://cluster.local/ns/shop/sa/cart"});
  auto id = spiffe_id_of(cert.get());
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, (SpiffeId{"cluster.local", "shop", "cart"}));
}

TEST(SpiffeIdTest, CertificateWithoutExactlyOneValidUriSanIsAnError) {
  auto none = spiffe_id_of(cert_with({}).get());
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("subjectAltName"), std::string::npos);

  auto two = spiffe_id_of(
      cert_with({"spiffe://cluster.local/ns/a/sa/b", "spiffe://cluster.local/ns/c/sa/d"}).get());
  ASSERT_FALSE(two);
  EXPECT_NE(two.error().message.find("2 URI SANs"), std::string::npos);

  auto bad = spiffe_id_of(cert_with({"https://example.com/"}).get());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("scheme"), std::string::npos);
}

}  // namespace
}  // namespace zmesh::identity
