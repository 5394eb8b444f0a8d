#include "bpf/map_keys.h"

#include <algorithm>
#include <cstring>

namespace zmesh::bpf {

zmesh_ip to_zmesh_ip(const boost::asio::ip::address& address) {
  zmesh_ip ip{};
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    ip.addr[10] = 0xff;
    ip.addr[11] = 0xff;
    std::copy(bytes.begin(), bytes.end(), ip.addr + 12);
  } else {
    auto bytes = address.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), ip.addr);
  }
  return ip;
}

boost::asio::ip::address from_zmesh_ip(const zmesh_ip& ip) {
  boost::asio::ip::address_v6::bytes_type bytes;
  std::copy(ip.addr, ip.addr + 16, bytes.begin());
  boost::asio::ip::address_v6 v6(bytes);
  if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6);
  return v6;
}

zmesh_tuple_key make_tuple_key(uint64_t netns_cookie, const Endpoint& src, const Endpoint& dst) {
  zmesh_tuple_key key;
  std::memset(&key, 0, sizeof(key));  // padding is part of the hashed key
  key.netns_cookie = netns_cookie;
  key.src_ip = to_zmesh_ip(src.address());
  key.dst_ip = to_zmesh_ip(dst.address());
  key.src_port = src.port();
  key.dst_port = dst.port();
  return key;
}

Endpoint to_endpoint(const zmesh_orig_dst& orig) {
  return {from_zmesh_ip(orig.ip), orig.port};
}

}  // namespace zmesh::bpf
