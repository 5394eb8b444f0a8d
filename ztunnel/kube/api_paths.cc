#include "kube/api_paths.h"

#include <cctype>

namespace zmesh::kube {

Result<ServerUrl> parse_server_url(std::string_view url) {
  ServerUrl out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    out.tls = false;
    rest = url.substr(7);
  } else {
    return make_error("server \"" + std::string(url) + "\": expected https://HOST[:PORT]");
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    out.base_path = std::string(rest.substr(slash));
    while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  }
  std::string_view port;
  if (authority.starts_with("[")) {  // [IPv6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return make_error("server \"" + std::string(url) + "\": unbalanced [");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (after.starts_with(":"))
      port = after.substr(1);
    else if (!after.empty())
      return make_error("server \"" + std::string(url) + "\": bad address");
  } else {
    auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return make_error("server \"" + std::string(url) + "\": no host");
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return make_error("server \"" + std::string(url) + "\": bad port");
  }
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
  return out;
}

std::string plural_of(std::string_view kind) {
  std::string lower;
  for (char c : kind)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower.empty()) return lower;
  auto is_vowel = [](char c) {
    return std::string_view("aeiou").find(c) != std::string_view::npos;
  };
  if (lower.size() >= 2 && lower.back() == 'y' && !is_vowel(lower[lower.size() - 2])) {
    lower.pop_back();
    return lower + "ies";
  }
  if (lower.ends_with("s") || lower.ends_with("x") || lower.ends_with("z") ||
      lower.ends_with("ch") || lower.ends_with("sh"))
    return lower + "es";
  return lower + "s";
}

std::string api_version_of(const Resource& r) {
  return r.group.empty() ? r.version : r.group + "/" + r.version;
}

std::string discovery_path(std::string_view group) {
  return group.empty() ? "/api" : "/apis/" + std::string(group);
}

namespace {

std::string collection(const Resource& r) {
  std::string prefix = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  return prefix + "/" + r.plural;
}

std::string selector_param(const Resource& r) {
  return r.field_selector.empty() ? "" : "&fieldSelector=" + query_escape(r.field_selector);
}

}  // namespace

std::string list_path(const Resource& r, size_t limit, const std::string& continue_token) {
  std::string path = collection(r) + "?limit=" + std::to_string(limit);
  if (!continue_token.empty()) path += "&continue=" + query_escape(continue_token);
  return path + selector_param(r);
}

std::string watch_path(const Resource& r, const std::string& resource_version,
                       int timeout_seconds) {
  return collection(r) + "?watch=1&resourceVersion=" + query_escape(resource_version) +
         "&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(timeout_seconds) +
         selector_param(r);
}

std::string query_escape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

}  // namespace zmesh::kube
