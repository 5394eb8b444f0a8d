// The HTTP/1.1 message types of the L7 proxy (Boost.Beast, whole bodies in memory) and the
// upstream half of one exchange: write a request, read its response.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "common/result.h"
#include "l7/upstream_pool.h"
#include "route/header_list.h"

namespace zmesh::l7 {

namespace http = boost::beast::http;
// A Beast message with its trailers. Trailers come only from HTTP/2 peers and go only to
// HTTP/2 peers (HTTP/1.1 drops them both ways, as Envoy does unless told otherwise); gRPC puts
// grpc-status and grpc-message in a response's.
template <class Message>
struct WithTrailers : Message {
  using Base = Message;
  using Message::Message;
  WithTrailers() = default;
  WithTrailers(Message&& base) : Message(std::move(base)) {}  // NOLINT: implicit, from Beast
  route::HeaderList trailers;
};

// version() 11 or 10 for HTTP/1.x, 20 for a request that arrived as an HTTP/2 stream (the
// :authority is then in Host, and the routing core treats it like any other).
using Request = WithTrailers<http::request<http::string_body>>;
using Response = WithTrailers<http::response<http::string_body>>;

inline constexpr size_t kMaxBody = 16 << 20;
inline constexpr size_t kMaxHeader = 64 << 10;

// The request as it goes on the wire (Beast re-chunks a chunked body).
std::string serialize(const Request& request);
// A response as it goes on the wire; `head`: its header only (the answer to a HEAD request).
std::string serialize(const Response& response, bool head);

struct UpstreamReply {
  Response response;
  bool reusable = false;  // keep-alive and fully read: may go back to the pool
};

// Sends `wire` and reads one final response (1xx skipped, but 101 Switching Protocols is
// final: what follows it in the connection's buffer is the new protocol's). `any_bytes` tells
// whether the upstream answered anything at all: a pooled connection that failed without a byte was
// probably closed while idle, and the caller may try a fresh one.
boost::asio::awaitable<Result<UpstreamReply>> exchange(UpstreamConnection& connection,
                                                       const std::string& wire, bool head,
                                                       bool& any_bytes);

// Beast fields <-> the routing core's header list (regular headers only).
route::HeaderList to_header_list(const http::fields& fields);
void replace_fields(http::fields& fields, const route::HeaderList& headers);

}  // namespace zmesh::l7
