// One HTTP(S) GET of a URL on a new connection, for the JWKS fetcher: parse the URL, resolve,
// connect, (TLS: handshake with SNI, the server verified against the context's roots and its
// certificate checked for the host name or IP), send, read the reply. Bounded by a deadline.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace zmesh::app {

struct Url {
  bool https = false;
  std::string host;          // name or IP address (without brackets)
  std::string port;          // default 80 / 443
  std::string target = "/";  // path and query
};

// "http://host[:port][/path][?query]" or https; user info and fragments are refused.
Result<Url> parse_url(std::string_view text);

struct HttpGetReply {
  unsigned status = 0;
  std::string body;
};

// Transport and TLS failures are errors ("connect: Connection refused", "TLS handshake: ...");
// any HTTP status is a reply. Bodies larger than 4 MiB are refused. `tls` is used for https
// only (a client context with verify_peer and its trusted roots).
boost::asio::awaitable<Result<HttpGetReply>> http_get(
    boost::asio::any_io_executor executor, std::shared_ptr<boost::asio::ssl::context> tls, Url url,
    std::chrono::steady_clock::time_point deadline);

}  // namespace zmesh::app
