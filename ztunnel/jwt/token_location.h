// Where a jwtRule's token is in a request (fromHeaders, fromParams, fromCookies; with none, Envoy's
// default: `Authorization: Bearer <token>` and `?access_token=`), and taking tokens from there in
// Envoy's extractor order: header locations, then query parameters, then cookies, each group
// sorted by name. Pure over a small view of the request.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "state/request_authentication.h"

namespace zmesh::jwt {

// Every value of a header (name in lower case), in order; empty when absent.
using HeaderLookup = std::function<std::vector<std::string_view>(std::string_view lower_name)>;

enum class Source { kHeader, kParam, kCookie };

struct TokenLocation {
  Source source = Source::kHeader;
  std::string name;    // header names in lower case
  std::string prefix;  // headers only, e.g. "Bearer "
  auto operator<=>(const TokenLocation&) const = default;
};

struct FoundToken {
  std::string token;
  TokenLocation location;
};

// The rule's locations, sorted and without duplicates.
std::vector<TokenLocation> locations_of(const state::JwtRule& rule);

// The request's tokens at `locations` (sorted, as locations_of returns them). A header location
// yields one token per header value containing the prefix (Envoy finds the prefix anywhere in
// the value and skips non-base64url characters after it); a parameter its first value,
// percent-decoded; a cookie its first value (quotes removed). `query` is the raw query string,
// without '?'.
std::vector<FoundToken> extract_tokens(std::span<const TokenLocation> locations,
                                       const HeaderLookup& headers, std::string_view query);

// Helpers, exposed for tests.
std::string percent_decode(std::string_view text);
std::optional<std::string> query_param(std::string_view query, std::string_view name);
std::optional<std::string> cookie_value(std::span<const std::string_view> cookie_headers,
                                        std::string_view name);

}  // namespace zmesh::jwt
