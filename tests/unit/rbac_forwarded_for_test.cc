// The original client behind proxies (X-Forwarded-For with meshConfig numTrustedProxies), as
// Envoy's xff_num_trusted_hops picks it: the Nth address from the right, else the peer.
#include <gtest/gtest.h>

#include "rbac/forwarded_for.h"

namespace zmesh::rbac {
namespace {

TEST(ForwardedClient, Table) {
  struct Case {
    std::vector<std::string_view> values;
    uint32_t hops;
    const char* want;  // nullptr: the connection's peer
  };
  const Case cases[] = {
      {{"1.1.1.1, 2.2.2.2"}, 0, nullptr},    // nothing trusted: the peer
      {{"1.1.1.1, 2.2.2.2"}, 1, "2.2.2.2"},  // the hop right before us
      {{"1.1.1.1, 2.2.2.2"}, 2, "1.1.1.1"},
      {{"1.1.1.1, 2.2.2.2"}, 3, nullptr},              // fewer addresses than trusted hops
      {{"1.1.1.1", "2.2.2.2,3.3.3.3"}, 2, "2.2.2.2"},  // several header lines, in order
      {{" 2001:db8::1 ,10.0.0.1"}, 2, "2001:db8::1"},
      {{"::ffff:10.1.2.3"}, 1, "10.1.2.3"},  // v4-mapped reads as IPv4
      {{"unknown, 2.2.2.2"}, 2, nullptr},    // not an address
      {{}, 1, nullptr},
  };
  for (const auto& c : cases) {
    auto got = forwarded_client(c.values, c.hops);
    if (!c.want) {
      EXPECT_FALSE(got) << (c.values.empty() ? "" : c.values[0]) << " hops " << c.hops;
    } else {
      ASSERT_TRUE(got) << c.values[0] << " hops " << c.hops;
      EXPECT_EQ(got->to_string(), c.want);
    }
  }
}

}  // namespace
}  // namespace zmesh::rbac
