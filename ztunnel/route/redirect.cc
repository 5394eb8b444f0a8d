#include "route/redirect.h"

#include "route/path_rewrite.h"

namespace zmesh::route {
namespace {

std::optional<uint32_t> redirect_status(uint32_t code) {
  switch (code) {
    case 0:
    case 301:
      return 301;
    case 302:
    case 303:
    case 307:
    case 308:
      return code;
    default:
      return std::nullopt;
  }
}

// Istio's port: an explicit port, or the listener port for FROM_REQUEST_PORT (Envoy cannot
// derive it, Istio writes the port it builds the route for); FROM_PROTOCOL_DEFAULT writes none.
// 80 for http and 443 for https are left out of the Location.
uint32_t redirect_port(const state::HttpRedirect& r, const RequestView& request) {
  uint32_t port = 0;
  switch (r.port_kind) {
    case state::RedirectPortKind::kNone:
      return 0;
    case state::RedirectPortKind::kPort:
      port = r.port;
      break;
    case state::RedirectPortKind::kFromRequestPort:
      port = request.destination_port;
      break;
    case state::RedirectPortKind::kFromProtocolDefault:
      return 0;
  }
  // Mesh traffic reaches the route in plaintext (Istio: isTLS false outside gateways).
  const std::string scheme = r.scheme.empty() ? "http" : r.scheme;
  if ((port == 80 && scheme == "http") || (port == 443 && scheme == "https")) return 0;
  return port;
}

// Envoy's processRequestHost: the request's host, without its port when a new port is set,
// or when the scheme changes and the port was the old scheme's default.
std::string_view request_host(const RequestView& request, std::string_view new_scheme,
                              bool new_port) {
  std::string_view host = request.authority;
  if (host.empty()) return host;
  size_t colon;
  if (host.front() == '[') {
    colon = host.rfind("]:");
    if (colon != std::string_view::npos) ++colon;
  } else {
    colon = host.rfind(':');
  }
  if (colon == std::string_view::npos) return host;
  bool strip = new_port;
  if (new_scheme != request.scheme) {
    std::string_view port = host.substr(colon);
    strip |= request.scheme == "https" && port == ":443";
    strip |= request.scheme == "http" && port == ":80";
  }
  return strip ? host.substr(0, colon) : host;
}

std::string redirect_path(const state::HttpRedirect& r, const RequestView& request,
                          const CompiledMatch& matched) {
  std::string path;
  if (!r.uri.empty()) {
    path = r.uri;
    size_t query = request.path.find('?');
    if (r.uri.find('?') == std::string::npos && query != std::string_view::npos) {
      path.append(request.path.substr(query));
    }
  } else if (!r.prefix_rewrite.empty()) {
    path = replace_matched_prefix(request.path, matched.matched_length(request.path),
                                  r.prefix_rewrite);
  } else {
    path = request.path;
  }
  if (!path.starts_with('/')) path.insert(path.begin(), '/');
  return path;
}

}  // namespace

std::optional<RedirectResponse> redirect_response(const state::HttpRedirect& redirect,
                                                  const RequestView& request,
                                                  const CompiledMatch& matched) {
  auto status = redirect_status(redirect.redirect_code);
  if (!status) return std::nullopt;
  std::string_view scheme = redirect.scheme;
  if (scheme.empty()) scheme = request.scheme.empty() ? "http" : request.scheme;
  const uint32_t port = redirect_port(redirect, request);
  std::string location(scheme);
  location += "://";
  if (!redirect.authority.empty()) {
    location += redirect.authority;
  } else {
    location += request_host(request, scheme, port != 0);
  }
  if (port != 0) location += ":" + std::to_string(port);
  location += redirect_path(redirect, request, matched);
  return RedirectResponse{*status, std::move(location)};
}

}  // namespace zmesh::route
