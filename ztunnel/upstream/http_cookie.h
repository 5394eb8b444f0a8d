// The two cookie operations consistent hashing needs, with Envoy's rules (Http::Utility::
// parseCookieValue and makeSetCookieValue), so sticky sessions behave as they do under Istio.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zmesh::upstream {

// The value of cookie `name` in a Cookie header ("a=1; b=2"), surrounding double quotes
// removed; the first one wins. nullopt when absent.
std::optional<std::string_view> find_cookie(std::string_view cookie_header, std::string_view name);

// A Set-Cookie value as Envoy writes it: name="value"; Max-Age=N (left out for 0: a session
// cookie); Path=p (when not empty); each attribute (name or name=value); HttpOnly.
std::string set_cookie_value(std::string_view name, std::string_view value, std::string_view path,
                             std::chrono::seconds max_age,
                             const std::vector<std::pair<std::string, std::string>>& attributes);

}  // namespace zmesh::upstream
