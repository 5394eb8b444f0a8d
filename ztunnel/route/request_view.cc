#include "route/request_view.h"

namespace zmesh::route {

std::optional<std::string_view> RequestView::header(std::string_view name,
                                                    std::string& scratch) const {
  if (name.starts_with(':')) {
    if (iequals(name, ":method")) return method;
    if (iequals(name, ":authority")) return authority;
    if (iequals(name, ":scheme")) return scheme;
    if (iequals(name, ":path")) return path;
    return std::nullopt;
  }
  if (iequals(name, "host")) return authority;
  if (headers == nullptr) return std::nullopt;
  return headers->get(name, scratch);
}

}  // namespace zmesh::route
