// HBONE's CONNECT request: building it (client) and parsing it (server). The wire format is
// Istio ambient's: HTTP/2 CONNECT with `:authority` = the original destination ip:port and
// the headers `forwarded` (for=<source ip>), `baggage` and `traceparent`.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "common/result.h"

namespace zmesh::hbone {

struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

struct ConnectRequest {
  boost::asio::ip::tcp::endpoint target;  // :authority
  std::string forwarded;                  // "for=10.0.0.1" (quoted brackets for IPv6)
  std::string baggage;                    // W3C baggage, may be empty
  std::string traceparent;                // W3C; build_connect_headers makes one when empty
};

// Pseudo-headers first (:method CONNECT, :authority), then the others, names lower-case.
Headers build_connect_headers(const ConnectRequest& request);

// A received request's header block. The error says what is wrong; the server answers 400.
// Requires :method CONNECT and an :authority that is an IP literal with a port; rejects
// :scheme/:path (plain CONNECT has neither).
Result<ConnectRequest> parse_connect_headers(const Headers& headers);

// The inverse of endpoint_text (common/endpoint_text.h), which writes the :authority.
Result<boost::asio::ip::tcp::endpoint> parse_authority(const std::string& authority);

// A fresh W3C traceparent: "00-<32 hex trace id>-<16 hex span id>-01".
std::string make_traceparent();
// Istio's Forwarded value for a client address.
std::string make_forwarded(const boost::asio::ip::address& client);

}  // namespace zmesh::hbone
