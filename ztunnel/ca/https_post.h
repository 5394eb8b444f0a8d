// One HTTPS POST on a new mutual-TLS connection, for RemoteCaSource: resolve, connect,
// handshake, check the server's SPIFFE id, send, read the reply. All bounded by a deadline.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "identity/spiffe_id.h"

namespace zmesh::ca {

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

struct HttpsTarget {
  std::string host;  // name or IP address (without brackets)
  std::string port;
  std::string path;
  identity::SpiffeId server_id;  // the server certificate must carry exactly this id
};

// Transport and TLS failures are errors ("connect: Connection refused"); any HTTP status is
// a reply. Replies larger than 1 MiB are refused.
boost::asio::awaitable<Result<HttpReply>> https_post(
    boost::asio::any_io_executor executor, std::shared_ptr<boost::asio::ssl::context> tls,
    HttpsTarget target, std::string json_body, std::chrono::steady_clock::time_point deadline);

}  // namespace zmesh::ca
