#include "upstream/request_hash.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "upstream/http_cookie.h"
#include "upstream/xxhash64.h"

namespace zmesh::upstream {
namespace {

using Key = state::ConsistentHashLb::Key;

std::optional<std::string_view> header(const RequestHashInput& request, std::string name) {
  if (!request.header) return std::nullopt;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return request.header(name);
}

RequestHash cookie_hash(const state::ConsistentHashLb::Cookie& cookie,
                        const RequestHashInput& request) {
  if (auto cookies = header(request, "cookie")) {
    // An empty value counts as absent, as in Envoy's CookieHashMethod.
    auto value = find_cookie(*cookies, cookie.name);
    if (value && !value->empty()) return {xxhash64(*value), std::nullopt};
  }
  if (!cookie.ttl) return {};
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(xxhash64(request.connection)));
  auto max_age = std::chrono::duration_cast<std::chrono::seconds>(*cookie.ttl);
  return {xxhash64(hex),
          set_cookie_value(cookie.name, hex, cookie.path, max_age, cookie.attributes)};
}

}  // namespace

std::optional<std::string_view> find_query_parameter(std::string_view path, std::string_view name) {
  size_t q = path.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = path.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    size_t eq = item.find('=');
    if (item.substr(0, eq) != name) continue;
    return eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
  }
  return std::nullopt;
}

RequestHash request_hash(const state::ConsistentHashLb& config, const RequestHashInput& request) {
  std::optional<std::string_view> value;
  switch (config.key) {
    case Key::kHttpHeaderName:
      value = header(request, config.http_header_name);
      break;
    case Key::kHttpCookie:
      return cookie_hash(config.http_cookie, request);
    case Key::kUseSourceIp:
      if (!request.source_ip.empty()) value = request.source_ip;
      break;
    case Key::kHttpQueryParameterName:
      value = find_query_parameter(request.path, config.http_query_parameter_name);
      break;
    case Key::kNone:
      break;
  }
  if (!value) return {};
  return {xxhash64(*value), std::nullopt};
}

}  // namespace zmesh::upstream
