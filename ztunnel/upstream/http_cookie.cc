#include "upstream/http_cookie.h"

namespace zmesh::upstream {

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view item = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || item.substr(0, eq) != name) continue;
    std::string_view value = item.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return std::nullopt;
}

std::string set_cookie_value(std::string_view name, std::string_view value, std::string_view path,
                             std::chrono::seconds max_age,
                             const std::vector<std::pair<std::string, std::string>>& attributes) {
  std::string out = std::string(name) + "=\"" + std::string(value) + "\"";
  if (max_age.count() != 0) out += "; Max-Age=" + std::to_string(max_age.count());
  if (!path.empty()) out += "; Path=" + std::string(path);
  for (const auto& [attr, attr_value] : attributes) {
    out += "; " + attr;
    if (!attr_value.empty()) out += "=" + attr_value;
  }
  out += "; HttpOnly";
  return out;
}

}  // namespace zmesh::upstream
