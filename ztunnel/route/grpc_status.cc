#include "route/grpc_status.h"

#include "state/http_codes.h"

namespace zmesh::route {

std::optional<uint32_t> grpc_status_code(std::string_view name) {
  return state::grpc_status_code(name);
}

uint32_t grpc_status_for_http(uint32_t http_status) {
  switch (http_status) {
    case 400:
      return 13;  // INTERNAL
    case 401:
      return 16;  // UNAUTHENTICATED
    case 403:
      return 7;  // PERMISSION_DENIED
    case 404:
      return 12;  // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;  // UNAVAILABLE
    default:
      return 2;  // UNKNOWN
  }
}

}  // namespace zmesh::route
