// The parts of a request path that route matching looks at, found the way Envoy finds them:
// path matchers see the path without query and fragment, query matchers see raw (not
// percent-decoded) values, and only the first value of a repeated key.
#pragma once

#include <optional>
#include <string_view>

namespace zmesh::route {

std::string_view path_without_query(std::string_view path);

// The first value of `key` in the query string; "" for `?key` and `?key=`; nullopt if absent.
std::optional<std::string_view> first_query_value(std::string_view path, std::string_view key);

}  // namespace zmesh::route
