// A small HTTP/1.1 server (Boost.Beast) for the admin (15000), stats (15020) and
// readiness (15021) ports. Runs on the control thread; handlers are cheap and synchronous.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/result.h"

namespace zmesh::admin {

struct Request {
  std::string method;
  std::string path;   // without query
  std::string query;  // raw query string
  std::string body;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using Handler = std::function<Response(const Request&)>;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint listen,
             std::map<std::string, Handler> routes);  // exact path -> handler; else 404
  ~HttpServer();
  Result<void> start();  // binds (SO_REUSEADDR) and accepts; error if the port is taken

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zmesh::admin
