#include "l7/http_message.h"

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

namespace zmesh::l7 {

namespace {

// Beast's serializer straight into one string (operator<< costs an ostringstream per message).
template <class Message>
std::string serialize_message(const Message& message, bool header_only) {
  std::string out;
  out.reserve((header_only ? 0 : message.body().size()) + 512);
  http::serializer<Message::is_request::value, http::string_body> sr{message};
  sr.split(header_only);
  boost::system::error_code ec;
  do {
    sr.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      size_t n = 0;
      for (auto b : boost::beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      sr.consume(n);
    });
  } while (!ec && !(header_only ? sr.is_header_done() : sr.is_done()));
  return out;
}

}  // namespace

std::string serialize(const Request& request) {
  return serialize_message<http::request<http::string_body>>(request, false);
}

std::string serialize(const Response& response, bool head) {
  return serialize_message<http::response<http::string_body>>(response, head);
}

boost::asio::awaitable<Result<UpstreamReply>> exchange(UpstreamConnection& c,
                                                       const std::string& wire, bool head,
                                                       bool& any_bytes) {
  any_bytes = false;
  auto sent = co_await c.channel->write(boost::asio::buffer(wire));
  if (!sent) co_return sent.error();
  for (;;) {  // until a final (non-1xx) response
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    parser.header_limit(kMaxHeader);
    if (head) parser.skip(true);
    bool eof = false;
    while (!parser.is_done()) {
      if (c.buffer.size() == 0) {
        auto n = co_await c.channel->read_some(c.buffer.prepare(16 * 1024));
        if (!n) co_return n.error();
        if (*n == 0) {
          boost::system::error_code ec;
          parser.put_eof(ec);  // completes a body that runs until the connection closes
          if (ec) co_return make_error("upstream closed the connection before a full response");
          eof = true;
          break;
        }
        any_bytes = true;
        c.buffer.commit(*n);
      }
      boost::system::error_code ec;
      size_t used = parser.put(c.buffer.data(), ec);
      c.buffer.consume(used);
      if (ec == http::error::need_more) {
        // Keep the partial bytes; read more after them.
        auto more = co_await c.channel->read_some(c.buffer.prepare(16 * 1024));
        if (!more) co_return more.error();
        if (*more == 0) {
          parser.put_eof(ec);
          if (ec) co_return make_error("upstream closed the connection before a full response");
          eof = true;
          break;
        }
        any_bytes = true;
        c.buffer.commit(*more);
        continue;
      }
      if (ec) co_return make_error("bad upstream response: " + ec.message());
    }
    // 100 Continue and friends; 101 ends the HTTP exchange (the caller checks it asked).
    if (parser.get().result_int() / 100 == 1 && parser.get().result_int() != 101 && !eof) continue;
    UpstreamReply reply;
    reply.reusable = !eof && parser.get().keep_alive() && c.buffer.size() == 0;
    reply.response = parser.release();
    co_return reply;
  }
}

route::HeaderList to_header_list(const http::fields& fields) {
  route::HeaderList out;
  for (const auto& f : fields) out.add(std::string(f.name_string()), std::string(f.value()));
  return out;
}

void replace_fields(http::fields& fields, const route::HeaderList& headers) {
  // Field by field: clear() might take the start line's storage along.
  for (auto it = fields.begin(); it != fields.end();) it = fields.erase(it);
  for (const auto& f : headers.fields()) fields.insert(f.name, f.value);
}

}  // namespace zmesh::l7
