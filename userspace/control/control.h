// The daemon's control socket (<run-dir>/ztunnel.sock): one JSON request per connection,
// optionally carrying one file descriptor (SCM_RIGHTS, e.g. a pod's netns), one JSON reply.
// Replies are {"ok": true, ...} or {"ok": false, "error": "..."}.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace zmesh::control {

inline constexpr const char* kSocketName = "ztunnel.sock";

// Client side (zmeshctl, tests): sends `request` (and `fd` when >= 0), waits for the reply.
Result<nlohmann::json> call(const std::string& socket_path, const nlohmann::json& request,
                            int fd = -1);

// Server side: handler runs on the io_context thread; it gets the request and the
// received fd (invalid if none) and returns the reply.
class Server {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request, UniqueFd fd)>;
  Server(boost::asio::io_context& io, std::string socket_path, Handler handler);
  ~Server();
  Result<void> start();  // removes a stale socket file, binds (0600), starts accepting

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zmesh::control
