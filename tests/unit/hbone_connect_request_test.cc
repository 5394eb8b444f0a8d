// HBONE's CONNECT request: what the client sends and what the server accepts.
#include <gtest/gtest.h>

#include <regex>

#include "common/endpoint_text.h"
#include "hbone/connect_request.h"

namespace zmesh::hbone {
namespace {
namespace asio = boost::asio;
using asio::ip::tcp;

tcp::endpoint ep(const char* ip, uint16_t port) {
  return tcp::endpoint(asio::ip::make_address(ip), port);
}

TEST(HboneConnectRequest, BuildsPseudoHeadersFirstLowerCase) {
  ConnectRequest request{ep("10.0.0.2", 8080), make_forwarded(asio::ip::make_address("10.0.0.1")),
                         "k=v", ""};
  Headers headers = build_connect_headers(request);
  ASSERT_EQ(headers.size(), 5u);
  EXPECT_EQ(headers[0].name, ":method");
  EXPECT_EQ(headers[0].value, "CONNECT");
  EXPECT_EQ(headers[1].name, ":authority");
  EXPECT_EQ(headers[1].value, "10.0.0.2:8080");
  EXPECT_EQ(headers[2].name, "forwarded");
  EXPECT_EQ(headers[2].value, "for=10.0.0.1");
  EXPECT_EQ(headers[3].name, "baggage");
  EXPECT_EQ(headers[4].name, "traceparent");
  EXPECT_TRUE(std::regex_match(headers[4].value, std::regex("00-[0-9a-f]{32}-[0-9a-f]{16}-01")))
      << headers[4].value;
}

TEST(HboneConnectRequest, OmitsEmptyOptionalHeadersAndKeepsGivenTraceparent) {
  const std::string trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  Headers headers = build_connect_headers({ep("fd00::5", 443), "", "", trace});
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[1].value, "[fd00::5]:443");
  EXPECT_EQ(headers[2].name, "traceparent");
  EXPECT_EQ(headers[2].value, trace);
}

TEST(HboneConnectRequest, RoundTrips) {
  ConnectRequest sent{ep("fd00::7", 9000), make_forwarded(asio::ip::make_address("fd00::1")), "a=1",
                      make_traceparent()};
  auto parsed = parse_connect_headers(build_connect_headers(sent));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->target, sent.target);
  EXPECT_EQ(parsed->forwarded, "for=\"[fd00::1]\"");
  EXPECT_EQ(parsed->baggage, "a=1");
  EXPECT_EQ(parsed->traceparent, sent.traceparent);
}

TEST(HboneConnectRequest, TraceparentsAreFreshAndNonZero) {
  std::string a = make_traceparent(), b = make_traceparent();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 55u);
  EXPECT_NE(a.substr(3, 32).find_first_not_of('0'), std::string::npos);
  EXPECT_NE(a.substr(36, 16).find_first_not_of('0'), std::string::npos);
}

TEST(HboneConnectRequest, Authority) {
  struct Case {
    std::string text;
    bool ok;
    std::string ip;
    uint16_t port;
  };
  const Case cases[] = {
      {"10.1.2.3:80", true, "10.1.2.3", 80},
      {"[fd00::1]:15008", true, "fd00::1", 15008},
      {"[::ffff:10.0.0.1]:1", true, "::ffff:10.0.0.1", 1},
      {"0.0.0.0:65535", true, "0.0.0.0", 65535},
      {"not-an-ip:80", false, "", 0},
      {"10.1.2.3", false, "", 0},
      {"10.1.2.3:", false, "", 0},
      {"10.1.2.3:0", false, "", 0},
      {"10.1.2.3:65536", false, "", 0},
      {"10.1.2.3:+80", false, "", 0},
      {"10.1.2.3:8o", false, "", 0},
      {"10.1.2:80", false, "", 0},
      {"fd00::1:80", false, "", 0},
      {"[fd00::1]", false, "", 0},
      {"[fd00::1]80", false, "", 0},
      {"[10.0.0.1]:80", false, "", 0},
      {"[fe80::1%eth0]:80", false, "", 0},
      {":80", false, "", 0},
      {"", false, "", 0},
  };
  for (const auto& c : cases) {
    auto parsed = parse_authority(c.text);
    EXPECT_EQ(parsed.ok(), c.ok) << c.text;
    if (!parsed.ok() || !c.ok) continue;
    EXPECT_EQ(parsed->address(), asio::ip::make_address(c.ip)) << c.text;
    EXPECT_EQ(parsed->port(), c.port) << c.text;
    // Written back it parses to itself; a mapped IPv4 address is written as the IPv4
    // address it carries (common_endpoint_text_test), the same destination.
    const auto& address = parsed->address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) continue;
    EXPECT_EQ(parse_authority(endpoint_text(*parsed)).value(), *parsed) << c.text;
  }
}

TEST(HboneConnectRequest, Forwarded) {
  EXPECT_EQ(make_forwarded(asio::ip::make_address("10.0.0.1")), "for=10.0.0.1");
  EXPECT_EQ(make_forwarded(asio::ip::make_address("fd00::1")), "for=\"[fd00::1]\"");
}

TEST(HboneConnectRequest, ParseRejectsMalformed) {
  const Header method{":method", "CONNECT"}, authority{":authority", "10.0.0.1:80"};
  struct Case {
    const char* why;
    Headers headers;
  };
  const Case cases[] = {
      {"no headers", {}},
      {"missing :method", {authority}},
      {"missing :authority", {method}},
      {"GET", {{":method", "GET"}, authority}},
      {"lower-case method", {{":method", "connect"}, authority}},
      {"non-IP authority", {method, {":authority", "not-an-ip:80"}}},
      {"authority without port", {method, {":authority", "10.0.0.1"}}},
      {"port 0", {method, {":authority", "10.0.0.1:0"}}},
      {":scheme", {method, authority, {":scheme", "https"}}},
      {":path", {method, authority, {":path", "/"}}},
      {"duplicate :method", {method, method, authority}},
      {"duplicate :authority", {method, authority, authority}},
      {"unknown pseudo-header", {method, authority, {":protocol", "websocket"}}},
      {"pseudo after regular", {method, {"baggage", "x"}, authority}},
      {"upper-case name", {method, authority, {"Forwarded", "for=1.2.3.4"}}},
  };
  for (const auto& c : cases) EXPECT_FALSE(parse_connect_headers(c.headers).ok()) << c.why;

  auto good = parse_connect_headers({method, authority, {"forwarded", "for=10.0.0.9"}});
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->target, ep("10.0.0.1", 80));
  EXPECT_EQ(good->forwarded, "for=10.0.0.9");
  EXPECT_TRUE(good->traceparent.empty());
}

}  // namespace
}  // namespace zmesh::hbone
