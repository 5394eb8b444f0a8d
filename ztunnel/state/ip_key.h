// How the snapshot's IP indexes key an address.
#pragma once

#include "state/model.h"

namespace zmesh::state {

// A v4-mapped IPv6 address (::ffff:a.b.c.d, seen by connect6 on dual-stack sockets) is
// the IPv4 address for every lookup.
inline IpAddress normalize_ip(const IpAddress& ip) {
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6());
  }
  return ip;
}

}  // namespace zmesh::state
