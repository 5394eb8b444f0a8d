// (Named sni_* so it links everything: it makes its ClientHellos with OpenSSL.)
// The ClientHello SNI reader on real ClientHellos made by OpenSSL: the name, every prefix
// asking for more, a hello split over two records, no SNI, and bytes that are not TLS.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include "route/client_hello.h"

namespace zmesh::route {
namespace {

using State = ClientHelloSni::State;

std::vector<uint8_t> client_hello(const char* server_name) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), in, out);  // owned by ssl from here
  SSL_set_connect_state(ssl.get());
  if (server_name) SSL_set_tlsext_host_name(ssl.get(), server_name);
  SSL_do_handshake(ssl.get());  // wants to read: the ClientHello is in `out`
  std::vector<uint8_t> bytes(BIO_ctrl_pending(out));
  BIO_read(out, bytes.data(), static_cast<int>(bytes.size()));
  return bytes;
}

TEST(client_hello, ReadsTheServerName) {
  auto hello = client_hello("DB.Shop.example");
  auto r = parse_client_hello_sni(hello);
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.server_name, "db.shop.example");
}

TEST(client_hello, EveryPrefixAsksForMore) {
  auto hello = client_hello("db.shop.example");
  for (size_t n = 0; n < hello.size(); ++n)
    ASSERT_EQ(parse_client_hello_sni({hello.data(), n}).state, State::kNeedMore) << n;
}

TEST(client_hello, HelloSplitOverTwoRecords) {
  auto hello = client_hello("split.example");
  std::vector<uint8_t> body(hello.begin() + 5, hello.end());
  size_t half = body.size() / 2;
  auto record = [](const uint8_t* p, size_t n) {
    std::vector<uint8_t> r{22, 3, 1, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
    r.insert(r.end(), p, p + n);
    return r;
  };
  auto two = record(body.data(), half);
  auto second = record(body.data() + half, body.size() - half);
  EXPECT_EQ(parse_client_hello_sni(two).state, State::kNeedMore);
  two.insert(two.end(), second.begin(), second.end());
  auto r = parse_client_hello_sni(two);
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.server_name, "split.example");
}

TEST(client_hello, NoServerName) {
  auto r = parse_client_hello_sni(client_hello(nullptr));
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_FALSE(r.server_name);
}

TEST(client_hello, NotTls) {
  std::string get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  auto r = parse_client_hello_sni({reinterpret_cast<const uint8_t*>(get.data()), get.size()});
  EXPECT_EQ(r.state, State::kNotTls);
  // A handshake record that is not a ClientHello, and a truncated hello body.
  std::vector<uint8_t> server_hello{22, 3, 3, 0, 4, 2, 0, 0, 0};
  EXPECT_EQ(parse_client_hello_sni(server_hello).state, State::kNotTls);
  std::vector<uint8_t> short_hello{22, 3, 1, 0, 6, 1, 0, 0, 2, 3, 3};
  EXPECT_EQ(parse_client_hello_sni(short_hello).state, State::kNotTls);
}

}  // namespace
}  // namespace zmesh::route
