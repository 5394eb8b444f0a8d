// Responses the proxy makes up itself (no route, direct_response, fault abort), shaped as
// Envoy's sendLocalReply shapes them: a text/plain body; for a gRPC request a trailers-only
// HTTP 200 carrying grpc-status and grpc-message instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "route/header_list.h"
#include "route/request_view.h"
#include "state/http_route.h"

namespace zmesh::route {

struct LocalReply {
  uint32_t status = 200;
  HeaderList headers;  // content-type, grpc-status, grpc-message (no content-length)
  std::string body;    // empty for gRPC: the message travels in grpc-message
};

// content-type application/grpc, application/grpc+proto, application/grpc-web... (Envoy's
// Grpc::Common::isGrpcRequestHeaders, case-insensitive). The one test of "is this gRPC" for
// the routing core and the L7 proxy alike.
bool is_grpc_content_type(std::string_view content_type);
bool is_grpc_request(const RequestView& request);

// `grpc_status` overrides the code derived from `http_status` (fault abort with grpcStatus).
LocalReply local_reply(uint32_t http_status, std::string body, bool grpc,
                       std::optional<uint32_t> grpc_status = std::nullopt);

LocalReply direct_response(const state::HttpDirectResponse& response, bool grpc);

}  // namespace zmesh::route
