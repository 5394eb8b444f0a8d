// GET requests to the Kubernetes API server over HTTPS (http:// for tests) with Boost.Beast:
// whole replies (discovery, LIST pages) and streamed ones read line by line (WATCH, chunked
// newline-delimited JSON). One connection per request: LIST and WATCH are few and long, and
// a fresh connection after an error never inherits a half-read stream. Every step is
// bounded by a deadline. Credentials: the server's CA (or the system roots), a client
// certificate, and a bearer token re-read as it rotates (see BearerToken).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "kube/api_paths.h"
#include "kube/bearer_token.h"
#include "kube/credentials.h"

namespace zmesh::kube {

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::optional<std::string> retry_after;  // the Retry-After header, when sent
};

// The body of a 200 reply as it arrives.
class LineReader {
 public:
  virtual ~LineReader() = default;
  // The next line (without '\n'); nullopt once the body ended cleanly. A transport error or
  // the deadline is an Error.
  virtual boost::asio::awaitable<Result<std::optional<std::string>>> next_line() = 0;
};

struct StreamReply {
  HttpResponse head;                  // for a status other than 200, body holds the whole body
  std::unique_ptr<LineReader> lines;  // set for 200
};

class ApiClient {
 public:
  static Result<std::shared_ptr<ApiClient>> create(boost::asio::any_io_executor executor,
                                                   const Credentials& credentials);

  // Transport and TLS failures are Errors; any HTTP status is a reply. A 401 makes the next
  // request re-read the token file.
  boost::asio::awaitable<Result<HttpResponse>> get(std::string path, std::chrono::seconds timeout);
  // `timeout` bounds the whole stream, headers to end of body.
  boost::asio::awaitable<Result<StreamReply>> stream(std::string path,
                                                     std::chrono::seconds timeout);

  const std::string& server() const { return server_; }

 private:
  ApiClient(boost::asio::any_io_executor executor, ServerUrl url, std::string server,
            std::shared_ptr<boost::asio::ssl::context> tls, BearerToken token);
  std::string authorization();
  void saw_status(unsigned status);

  boost::asio::any_io_executor executor_;
  ServerUrl url_;
  std::string server_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // null for http://
  BearerToken token_;
};

}  // namespace zmesh::kube
