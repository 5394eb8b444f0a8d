// The server name (SNI) of a TLS ClientHello, read from the first bytes a client sends, so
// VirtualService tls[] routes can pick a destination without terminating TLS (as Envoy's
// tls_inspector does). Handles a ClientHello split over several TLS records.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace zmesh::route {

struct ClientHelloSni {
  enum class State {
    kNeedMore,  // a ClientHello so far: give more bytes
    kNotTls,    // not a TLS handshake (or malformed): no SNI will come
    kDone,      // parsed: `server_name` is set when the client sent one
  };
  State state = State::kNeedMore;
  std::optional<std::string> server_name;  // lower-cased host_name entry
};

ClientHelloSni parse_client_hello_sni(std::span<const uint8_t> bytes);

}  // namespace zmesh::route
