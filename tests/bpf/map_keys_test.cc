// Map key layouts shared with the kernel programs, and pin names.
#include "bpf/map_keys.h"

#include <gtest/gtest.h>

#include <cstddef>

#include "bpf/datapath.h"
#include "zmesh.h"

namespace zmesh::bpf {
namespace {

using boost::asio::ip::make_address;

// The layouts are ABI with pinned maps: a change here needs ZMESH_ABI_VERSION bumped.
TEST(MapKeys, LayoutsAreFixed) {
  EXPECT_EQ(sizeof(zmesh_ip), 16u);
  EXPECT_EQ(sizeof(zmesh_tuple_key), 48u);
  EXPECT_EQ(offsetof(zmesh_tuple_key, src_ip), 8u);
  EXPECT_EQ(offsetof(zmesh_tuple_key, dst_ip), 24u);
  EXPECT_EQ(offsetof(zmesh_tuple_key, src_port), 40u);
  EXPECT_EQ(offsetof(zmesh_tuple_key, dst_port), 42u);
  EXPECT_EQ(sizeof(zmesh_orig_dst), 32u);
  EXPECT_EQ(sizeof(zmesh_config), 16u);
  EXPECT_EQ(sizeof(zmesh_pod_info), 72u);
  EXPECT_EQ(sizeof(zmesh_conn_stats), 40u);
}

TEST(MapKeys, Ipv4IsStoredIpv4Mapped) {
  zmesh_ip ip = to_zmesh_ip(make_address("10.1.2.3"));
  const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3};
  EXPECT_EQ(std::memcmp(ip.addr, want, 16), 0);
  zmesh_ip mapped = to_zmesh_ip(make_address("::ffff:10.1.2.3"));
  EXPECT_EQ(std::memcmp(mapped.addr, want, 16), 0) << "v4 and v4-mapped give one key";
  EXPECT_EQ(from_zmesh_ip(ip), make_address("10.1.2.3"));
  EXPECT_EQ(from_zmesh_ip(to_zmesh_ip(make_address("fd00::1"))), make_address("fd00::1"));
}

TEST(MapKeys, TupleKeyUsesHostOrderPortsAndZeroPadding) {
  Endpoint src(make_address("127.0.0.1"), 40000), dst(make_address("127.0.0.1"), 15001);
  zmesh_tuple_key key = make_tuple_key(42, src, dst);
  EXPECT_EQ(key.netns_cookie, 42u);
  EXPECT_EQ(key.src_port, 40000);
  EXPECT_EQ(key.dst_port, 15001);
  EXPECT_EQ(key.pad, 0u);
  EXPECT_EQ(from_zmesh_ip(key.src_ip), make_address("127.0.0.1"));
}

TEST(MapKeys, OrigDstComesBackAsEndpoint) {
  zmesh_orig_dst orig{};
  orig.ip = to_zmesh_ip(make_address("10.96.0.10"));
  orig.port = 53;
  EXPECT_EQ(to_endpoint(orig), Endpoint(make_address("10.96.0.10"), 53));
}

TEST(PinName, IsSafeForBpffsAndInjective) {
  EXPECT_EQ(pin_name("default/web"), "default_web");
  EXPECT_EQ(pin_name("default/web.1"), "default_web~2e1");
  EXPECT_NE(pin_name("a/b.c"), pin_name("a/b-c"));
  EXPECT_NE(pin_name("a/b_c"), pin_name("a_b/c"));
  EXPECT_EQ(pin_name("x/y").find_first_of("./"), std::string::npos);
}

}  // namespace
}  // namespace zmesh::bpf
