// Status vocabularies Istio's API uses, shared by validation (config/) and the L7 engine
// (route/): one list, so what validation accepts is what the data path understands.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace zmesh::state {

// gRPC status codes by the upper-case names Istio's API uses: "UNAVAILABLE" -> 14.
std::optional<uint32_t> grpc_status_code(std::string_view name);

// Go's http.StatusText knows the code: Istio reads such retryOn tokens as status codes.
bool known_http_status(int code);

}  // namespace zmesh::state
