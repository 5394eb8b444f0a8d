// What L7 authorization knows about one HTTP request at the destination: the connection
// (ConnectionView), the request line and headers, the client address behind proxies
// (X-Forwarded-For with meshConfig numTrustedProxies), and a verified JWT if any. Views only:
// the request outlives every decision made on it.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rbac/connection_view.h"

namespace zmesh::rbac {

// A verified token's identity (RequestAuthentication), as Envoy's jwt_authn reports it.
struct RequestAuth {
  std::string principal;               // "<iss>/<sub>"
  std::vector<std::string> audiences;  // "aud", a string or a list
  std::string presenter;               // "azp"
  nlohmann::json claims;               // the payload
};

struct RequestView {
  ConnectionView conn;
  std::string_view method;
  std::string_view host;  // :authority (or Host), as sent
  std::string_view path;  // normalised, without the query (request_path.h)
  // Every value of a header (name in lower case); empty when absent.
  std::function<std::vector<std::string_view>(std::string_view name)> headers;
  std::optional<state::IpAddress> remote_ip;  // the original client; nullopt: conn.src_ip
  const RequestAuth* auth = nullptr;          // null: no (valid) token
  std::string_view sni;                       // connection.sni (HBONE inner TLS: none)

  const state::IpAddress& client_ip() const { return remote_ip ? *remote_ip : conn.src_ip; }
};

}  // namespace zmesh::rbac
