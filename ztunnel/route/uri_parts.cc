#include "route/uri_parts.h"

namespace zmesh::route {

std::string_view path_without_query(std::string_view path) {
  return path.substr(0, path.find_first_of("?#"));
}

std::optional<std::string_view> first_query_value(std::string_view path, std::string_view key) {
  size_t q = path.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = path.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    if (name == key) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace zmesh::route
