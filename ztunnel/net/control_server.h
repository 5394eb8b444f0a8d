// The daemon's end of the control socket (userspace/control/control.h has the protocol and
// the client): accepts one JSON request per connection, with an optional fd, and answers it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace zmesh::net {

// Server side: handler runs on the io_context thread; it gets the request and the
// received fd (invalid if none) and returns the reply. A handler that throws yields
// {"ok":false,"error":<what()>}.
class ControlServer {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request, UniqueFd fd)>;
  ControlServer(boost::asio::io_context& io, std::string socket_path, Handler handler);
  // Stops accepting, closes open connections and removes the socket file if it is still
  // ours. Destroy on the io_context's thread, or after it stopped.
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Creates the parent directory if needed, refuses if another daemon answers on the path,
  // otherwise replaces a stale socket file; the socket appears atomically with mode 0600.
  Result<void> start();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace zmesh::net
