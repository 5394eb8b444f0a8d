#include "route/header_operations.h"

#include <vector>

namespace zmesh::route {
namespace {

bool internal_header(const std::string& name) {
  return name.starts_with(':') || iequals(name, "host");
}

const state::HeaderOperations& ops_for(const state::HeadersPolicy& p, HeaderDirection d) {
  return d == HeaderDirection::kRequest ? p.request : p.response;
}

}  // namespace

void apply_header_operations(HeaderList& headers,
                             std::span<const state::HeaderOperations* const> blocks) {
  for (const state::HeaderOperations* ops : blocks) {
    for (const std::string& name : ops->remove) {
      if (!internal_header(name)) headers.remove(name);
    }
  }
  for (const state::HeaderOperations* ops : blocks) {
    for (const auto& [name, value] : ops->set) {
      if (!internal_header(name)) headers.set(name, value);
    }
    for (const auto& [name, value] : ops->add) {
      if (!internal_header(name)) headers.add(name, value);
    }
  }
}

void apply_route_header_operations(HeaderList& headers, const state::HttpRoute& route,
                                   std::optional<size_t> destination, HeaderDirection direction) {
  const state::HeaderOperations& route_ops = ops_for(route.headers, direction);
  const state::HeaderOperations* dest_ops = nullptr;
  if (destination && *destination < route.route.size()) {
    dest_ops = &ops_for(route.route[*destination].headers, direction);
  }
  if (dest_ops == nullptr) {
    const state::HeaderOperations* blocks[] = {&route_ops};
    apply_header_operations(headers, blocks);
  } else if (route.route.size() == 1) {
    const state::HeaderOperations* blocks[] = {&route_ops, dest_ops};
    apply_header_operations(headers, blocks);
  } else {
    const state::HeaderOperations* first[] = {dest_ops};
    const state::HeaderOperations* second[] = {&route_ops};
    apply_header_operations(headers, first);
    apply_header_operations(headers, second);
  }
}

}  // namespace zmesh::route
