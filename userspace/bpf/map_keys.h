// Conversions between Boost.Asio addresses and the BPF map layouts of bpf/zmesh.h, so the
// daemon, zmeshctl and tests build keys exactly as the kernel programs do.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>

#include "zmesh.h"

namespace zmesh::bpf {

using Endpoint = boost::asio::ip::tcp::endpoint;

// 16 bytes; IPv4 (and IPv4-mapped IPv6) become ::ffff:a.b.c.d.
zmesh_ip to_zmesh_ip(const boost::asio::ip::address& address);
// IPv4-mapped addresses come back as plain IPv4.
boost::asio::ip::address from_zmesh_ip(const zmesh_ip& ip);

// zmesh_orig_dst key for a connection the daemon accepted on its outbound listener:
// src = the accepted socket's peer (the app), dst = its local address (loopback:15001).
zmesh_tuple_key make_tuple_key(uint64_t netns_cookie, const Endpoint& src, const Endpoint& dst);

// The original destination recorded by connect4/6 (IPv4-mapped comes back as IPv4).
Endpoint to_endpoint(const zmesh_orig_dst& orig);

}  // namespace zmesh::bpf
