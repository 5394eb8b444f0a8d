// The consistent-hash key of one request, from the source the DestinationRule names: a header,
// a cookie, the client IP or a query parameter; XXH64 of the value, as Envoy's hash policies.
//
// Cookie decision (as Envoy, since Istio always sends a ttl): when the cookie is absent and the
// ttl is set, a cookie is generated: value = hex XXH64 of the downstream connection's
// addresses, hash = XXH64 of that value, and a Set-Cookie for the response. So the first request
// and every later one that carries the cookie hash alike. A ttl of 0 makes a session cookie.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "state/traffic_policy.h"

namespace zmesh::upstream {

struct RequestHashInput {
  // The first value of a request header, asked for by lowercase name; nullopt when absent.
  // For "cookie", HTTP/2's split cookie headers joined with "; ".
  std::function<std::optional<std::string_view>(std::string_view)> header;
  std::string_view path;        // :path, query string included
  std::string_view source_ip;   // the client's address, e.g. "10.0.0.7"; empty when unknown
  std::string_view connection;  // the downstream remote + local addresses (for a new cookie)
};

struct RequestHash {
  std::optional<uint64_t> hash;           // nullopt: no key; the balancer picks at random
  std::optional<std::string> set_cookie;  // a generated cookie, for the response's Set-Cookie
};

RequestHash request_hash(const state::ConsistentHashLb& config, const RequestHashInput& request);

// The value of query parameter `name` in a path ("/p?a=1&b"): the first occurrence, not
// percent-decoded (Envoy hashes the raw text); "" for a parameter without '='.
std::optional<std::string_view> find_query_parameter(std::string_view path, std::string_view name);

}  // namespace zmesh::upstream
