#include "hbone/connect_request.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "common/endpoint_text.h"

namespace zmesh::hbone {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

Result<uint16_t> parse_port(const std::string& text) {
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return make_error("bad port \"" + text + "\"");
  unsigned long port = std::stoul(text);
  if (port == 0 || port > 65535) return make_error("port out of range: " + text);
  return static_cast<uint16_t>(port);
}

// Random bytes as lower-case hex, never all zero (W3C: all-zero ids are invalid).
std::string random_hex(size_t bytes) {
  std::array<unsigned char, 16> id{};
  bool zero = true;
  while (zero) {
    if (RAND_bytes(id.data(), static_cast<int>(bytes)) != 1) id.fill(0x5a);  // entropy failure
    zero = std::all_of(id.begin(), id.begin() + bytes, [](unsigned char b) { return b == 0; });
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (size_t i = 0; i < bytes; ++i) {
    out.push_back(kHex[id[i] >> 4]);
    out.push_back(kHex[id[i] & 15]);
  }
  return out;
}

bool is_lower_case(const std::string& name) {
  return std::none_of(name.begin(), name.end(),
                      [](unsigned char c) { return std::isupper(c) != 0; });
}

}  // namespace

Result<tcp::endpoint> parse_authority(const std::string& authority) {
  std::string host, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos || close + 1 >= authority.size() || authority[close + 1] != ':')
      return make_error("bad authority \"" + authority + "\": want [ipv6]:port");
    host = authority.substr(1, close - 1);
    port = authority.substr(close + 2);
    // Zone ids name an interface of the sender, meaningless to us.
    if (host.find('%') != std::string::npos)
      return make_error("bad authority \"" + authority + "\": zone id");
    boost::system::error_code ec;
    auto address = asio::ip::make_address_v6(host, ec);
    if (ec) return make_error("bad authority \"" + authority + "\": not an IPv6 address");
    auto p = parse_port(port);
    if (!p) return make_error("bad authority \"" + authority + "\": " + p.error().message);
    return tcp::endpoint(address, *p);
  }
  auto colon = authority.rfind(':');
  if (colon == std::string::npos)
    return make_error("bad authority \"" + authority + "\": missing port");
  host = authority.substr(0, colon);
  port = authority.substr(colon + 1);
  boost::system::error_code ec;
  auto address = asio::ip::make_address_v4(host, ec);
  if (ec) return make_error("bad authority \"" + authority + "\": not an IP address");
  auto p = parse_port(port);
  if (!p) return make_error("bad authority \"" + authority + "\": " + p.error().message);
  return tcp::endpoint(address, *p);
}

std::string make_traceparent() {
  return "00-" + random_hex(16) + "-" + random_hex(8) + "-01";
}

std::string make_forwarded(const asio::ip::address& client) {
  if (client.is_v6()) return "for=\"[" + client.to_string() + "]\"";
  return "for=" + client.to_string();
}

Headers build_connect_headers(const ConnectRequest& request) {
  Headers headers{{":method", "CONNECT"}, {":authority", endpoint_text(request.target)}};
  if (!request.forwarded.empty()) headers.push_back({"forwarded", request.forwarded});
  if (!request.baggage.empty()) headers.push_back({"baggage", request.baggage});
  headers.push_back(
      {"traceparent", request.traceparent.empty() ? make_traceparent() : request.traceparent});
  return headers;
}

Result<ConnectRequest> parse_connect_headers(const Headers& headers) {
  ConnectRequest request;
  bool have_method = false, have_authority = false, regular_seen = false;
  for (const auto& [name, value] : headers) {
    if (!name.empty() && name.front() == ':') {
      if (regular_seen) return make_error("pseudo-header " + name + " after regular headers");
      if (name == ":method") {
        if (have_method) return make_error("duplicate :method");
        have_method = true;
        if (value != "CONNECT") return make_error("method " + value + ", want CONNECT");
      } else if (name == ":authority") {
        if (have_authority) return make_error("duplicate :authority");
        have_authority = true;
        auto target = parse_authority(value);
        if (!target) return target.error();
        request.target = *target;
      } else if (name == ":scheme" || name == ":path") {
        return make_error("CONNECT with " + name);
      } else {
        return make_error("unexpected pseudo-header " + name);
      }
      continue;
    }
    regular_seen = true;
    if (name.empty() || !is_lower_case(name))
      return make_error("header name \"" + name + "\" is not lower-case");
    if (name == "forwarded" && request.forwarded.empty()) request.forwarded = value;
    if (name == "baggage" && request.baggage.empty()) request.baggage = value;
    if (name == "traceparent" && request.traceparent.empty()) request.traceparent = value;
  }
  if (!have_method) return make_error("missing :method");
  if (!have_authority) return make_error("missing :authority");
  return request;
}

}  // namespace zmesh::hbone
