#include "route/local_reply.h"

#include <cstdio>

#include "route/grpc_status.h"

namespace zmesh::route {
namespace {

// grpc-message is percent-encoded (gRPC over HTTP/2 spec): bytes outside printable ASCII and
// '%' itself.
std::string percent_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e || c == '%') {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

bool is_grpc_content_type(std::string_view content_type) {
  return istarts_with(content_type, "application/grpc");
}

bool is_grpc_request(const RequestView& request) {
  std::string scratch;
  auto ct = request.header("content-type", scratch);
  return ct && is_grpc_content_type(*ct);
}

LocalReply local_reply(uint32_t http_status, std::string body, bool grpc,
                       std::optional<uint32_t> grpc_status) {
  LocalReply r;
  if (grpc) {
    r.status = 200;
    r.headers.add("content-type", "application/grpc");
    r.headers.add("grpc-status",
                  std::to_string(grpc_status.value_or(grpc_status_for_http(http_status))));
    if (!body.empty()) r.headers.add("grpc-message", percent_encode(body));
    return r;
  }
  r.status = http_status;
  if (!body.empty()) r.headers.add("content-type", "text/plain");
  r.body = std::move(body);
  return r;
}

LocalReply direct_response(const state::HttpDirectResponse& response, bool grpc) {
  return local_reply(response.status, response.body.value_or(""), grpc);
}

}  // namespace zmesh::route
