// A small HTTP/1.1 server (Boost.Beast) for the admin (15000), stats (15020) and
// readiness (15021) ports. Runs on the control thread; handlers are cheap and synchronous.
// Keep-alive, any method is passed to the handler, the query is split off the path,
// 404 for unknown paths, 400 for malformed requests, 500 if a handler throws.
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

// Value of `key` in a raw query string ("level=debug&x=1"), percent-decoded; empty if absent.
std::string query_param(const std::string& query, const std::string& key);

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint listen,
             std::map<std::string, Handler> routes);  // exact path -> handler; else 404
  // Closes the listener and open connections. Destroy on the io_context's thread, or
  // after it stopped.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Result<void> start();  // binds (SO_REUSEADDR) and accepts; error if the port is taken

  // The bound address (useful with port 0); valid after a successful start().
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace zmesh::admin
