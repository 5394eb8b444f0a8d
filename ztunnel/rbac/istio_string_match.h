// Istio's string syntax in security policies: "abc" exact, "abc*" prefix, "*abc" suffix,
// "*" presence (any non-empty value), converted the way istiod's ambient converter does
// (stringToMatch: presence, then suffix, then prefix, else exact).
#pragma once

#include <string_view>

namespace zmesh::rbac {

inline bool istio_string_matches(std::string_view pattern, std::string_view value) {
  if (pattern == "*") return !value.empty();
  if (pattern.starts_with('*')) return value.ends_with(pattern.substr(1));
  if (pattern.ends_with('*')) return value.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == value;
}

// Principals are compared without "spiffe://"; a connection without a peer identity has
// no principal, and no pattern (not even a prefix "" or "*") matches it, as in ztunnel.
inline bool istio_principal_matches(std::string_view pattern, std::string_view principal) {
  return !principal.empty() && istio_string_matches(pattern, principal);
}

}  // namespace zmesh::rbac
