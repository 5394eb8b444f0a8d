#include "l7/http_message.h"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>
#include <sstream>

namespace zmesh::l7 {

std::string serialize(const Request& request) {
  std::ostringstream out;
  out << request;
  return std::move(out).str();
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
    if (parser.get().result_int() / 100 == 1 && !eof) continue;  // 100 Continue and friends
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
