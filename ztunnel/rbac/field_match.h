// Pieces both AuthorizationPolicy matchers (L4 policy_match, HTTP http_policy_match) share:
// how a field and its not-form combine, and the serviceAccounts entry form.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "rbac/connection_view.h"

namespace zmesh::rbac {

// A field and its not-form: some positive value matches (or none is given) and no negative
// value matches.
template <typename T, typename Pred>
bool field_holds(const std::vector<T>& values, const std::vector<T>& not_values, Pred&& pred) {
  if (!values.empty() && std::none_of(values.begin(), values.end(), pred)) return false;
  return std::none_of(not_values.begin(), not_values.end(), pred);
}

// serviceAccounts entries: "ns/sa", or "sa" in the policy's namespace; plaintext has none.
inline bool service_account_matches(const std::string& entry, const std::string& policy_ns,
                                    const ConnectionView& conn) {
  if (!conn.source) return false;
  auto slash = entry.find('/');
  std::string ns = slash == std::string::npos ? policy_ns : entry.substr(0, slash);
  std::string sa = slash == std::string::npos ? entry : entry.substr(slash + 1);
  return conn.source->namespace_ == ns && conn.source->service_account == sa;
}

}  // namespace zmesh::rbac
