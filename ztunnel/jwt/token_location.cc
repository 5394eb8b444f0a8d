#include "jwt/token_location.h"

#include <algorithm>
#include <cctype>

namespace zmesh::jwt {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::string_view kBase64UrlAndDot =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

std::string_view trim_leading(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

}  // namespace

std::vector<TokenLocation> locations_of(const state::JwtRule& rule) {
  std::vector<TokenLocation> out;
  for (const auto& h : rule.from_headers) {
    out.push_back({Source::kHeader, lower(h.name), h.prefix});
  }
  for (const auto& p : rule.from_params) out.push_back({Source::kParam, p, ""});
  for (const auto& c : rule.from_cookies) out.push_back({Source::kCookie, c, ""});
  if (out.empty()) {
    out.push_back({Source::kHeader, "authorization", "Bearer "});
    out.push_back({Source::kParam, "access_token", ""});
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  if (auto hash = query.find('#'); hash != query.npos) query = query.substr(0, hash);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == query.npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) != name) continue;
    return eq == pair.npos ? std::string() : percent_decode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

std::optional<std::string> cookie_value(std::span<const std::string_view> cookie_headers,
                                        std::string_view name) {
  for (std::string_view header : cookie_headers) {
    while (!header.empty()) {
      const size_t semi = header.find(';');
      std::string_view pair = trim_leading(header.substr(0, semi));
      header = semi == header.npos ? std::string_view() : header.substr(semi + 1);
      const size_t eq = pair.find('=');
      if (eq == pair.npos || pair.substr(0, eq) != name) continue;
      std::string_view value = pair.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
  }
  return std::nullopt;
}

std::vector<FoundToken> extract_tokens(std::span<const TokenLocation> locations,
                                       const HeaderLookup& headers, std::string_view query) {
  std::vector<FoundToken> out;
  for (const auto& loc : locations) {
    if (loc.source != Source::kHeader) continue;
    for (std::string_view value : headers(loc.name)) {
      if (!loc.prefix.empty()) {
        const size_t pos = value.find(loc.prefix);
        if (pos == value.npos) continue;
        // The token starts at the first base64url (or '.') character after the prefix; when
        // there is none, Envoy keeps the whole value.
        const size_t start = value.find_first_of(kBase64UrlAndDot, pos + loc.prefix.size());
        if (start != value.npos) value = value.substr(start);
      }
      out.push_back({std::string(value), loc});
    }
  }
  for (const auto& loc : locations) {
    if (loc.source != Source::kParam) continue;
    if (auto v = query_param(query, loc.name)) out.push_back({std::move(*v), loc});
  }
  std::vector<std::string_view> cookies;
  bool cookies_read = false;
  for (const auto& loc : locations) {
    if (loc.source != Source::kCookie) continue;
    if (!cookies_read) {
      cookies = headers("cookie");
      cookies_read = true;
    }
    if (auto v = cookie_value(cookies, loc.name)) out.push_back({std::move(*v), loc});
  }
  return out;
}

}  // namespace zmesh::jwt
