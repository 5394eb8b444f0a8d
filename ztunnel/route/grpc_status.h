// gRPC status codes by the upper-case names Istio's API uses, and Envoy's mapping from an
// HTTP status to the gRPC status a gRPC client is told.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace zmesh::route {

std::optional<uint32_t> grpc_status_code(std::string_view name);  // "UNAVAILABLE" -> 14

// Envoy's Grpc::Utility::httpToGrpcStatus.
uint32_t grpc_status_for_http(uint32_t http_status);

}  // namespace zmesh::route
