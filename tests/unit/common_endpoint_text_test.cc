// One spelling of a TCP endpoint everywhere (logs, errors, HBONE :authority, zmeshctl).
#include <gtest/gtest.h>

#include "common/endpoint_text.h"
#include "hbone/connect_request.h"

namespace zmesh {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::tcp;

TEST(EndpointText, Ipv4Ipv6AndMappedIpv4) {
  EXPECT_EQ(endpoint_text(tcp::endpoint(make_address("10.0.0.1"), 80)), "10.0.0.1:80");
  EXPECT_EQ(endpoint_text(tcp::endpoint(make_address("fd00::1"), 15008)), "[fd00::1]:15008");
  // What a dual-stack socket reports for an IPv4 peer reads as the IPv4 address it is.
  EXPECT_EQ(endpoint_text(tcp::endpoint(make_address("::ffff:10.0.0.1"), 443)), "10.0.0.1:443");
}

TEST(EndpointText, IsWhatHboneParsesBackAsAnAuthority) {
  for (const char* text : {"10.244.1.5:9080", "[fd00::1]:80"}) {
    auto parsed = hbone::parse_authority(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(endpoint_text(*parsed), text);
  }
}

}  // namespace
}  // namespace zmesh
