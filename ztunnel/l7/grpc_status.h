// gRPC as the L7 proxy sees it: a request is gRPC by its content type, and its outcome is the
// grpc-status of the response, in the trailers or, for a trailers-only reply, in the headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "l7/http_message.h"

namespace zmesh::l7 {

// route::is_grpc_content_type on the request's content-type.
bool is_grpc_request(const Request& request);

// grpc-status as sent (headers first: a trailers-only reply has no trailers), nullopt if none.
std::optional<std::string> grpc_status_text(const Response& response);
// The same as a number; nullopt when missing or not a number.
std::optional<uint32_t> grpc_status(const Response& response);

}  // namespace zmesh::l7
