#include "l7/grpc_status.h"

#include <charconv>

#include "route/header_list.h"
#include "route/local_reply.h"

namespace zmesh::l7 {

bool is_grpc_request(const Request& request) {
  auto ct = request[http::field::content_type];
  return route::is_grpc_content_type({ct.data(), ct.size()});
}

std::optional<std::string> grpc_status_text(const Response& response) {
  if (auto g = response.find("grpc-status"); g != response.end()) return std::string(g->value());
  for (const auto& f : response.trailers.fields())
    if (route::iequals(f.name, "grpc-status")) return f.value;
  return std::nullopt;
}

std::optional<uint32_t> grpc_status(const Response& response) {
  auto text = grpc_status_text(response);
  if (!text) return std::nullopt;
  uint32_t code = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), code);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return code;
}

}  // namespace zmesh::l7
