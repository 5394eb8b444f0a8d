// Blocking client for the control socket: poll() with one deadline covers the whole call.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "control/control.h"
#include "control/socket_io.h"

namespace zmesh::control {
namespace {

using Clock = std::chrono::steady_clock;

// Waits until `events` are ready or the deadline passes; false on timeout.
Result<bool> wait_for(int sock, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{sock, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return errno_error("poll", errno);
  }
}

}  // namespace

std::string socket_path(const std::string& run_dir) {
  if (!run_dir.empty() && run_dir.back() == '/') return run_dir + kSocketName;
  return run_dir + "/" + kSocketName;
}

Result<nlohmann::json> call(const std::string& path, const nlohmann::json& request, int fd,
                            std::chrono::milliseconds timeout) {
  const std::string where = "ztunnel at " + path;
  const auto deadline = Clock::now() + timeout;

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return make_error("cannot reach " + where + ": socket path too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return errno_error("cannot reach " + where + ": socket", errno);
  // connect() on AF_UNIX waits for backlog room with the send timeout.
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(sock.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    return make_error("cannot reach " + where + ": " + std::strerror(err) +
                      " (is the daemon running? check --run-dir / ZMESH_RUN_DIR)");
  }

  // Send the request; the fd rides with the first chunk.
  const std::string out =
      request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  size_t sent = 0;
  int send_errno = 0;
  while (sent < out.size()) {
    auto ready = wait_for(sock.get(), POLLOUT, deadline);
    if (!ready) return ready.error();
    if (!*ready)
      return make_error(where + " did not accept the request within " +
                        std::to_string(timeout.count()) + " ms");
    ssize_t n = send_some(sock.get(), std::string_view(out).substr(sent), sent == 0 ? fd : -1);
    if (n == -EAGAIN || n == -EINTR) continue;
    if (n < 0) {
      send_errno = static_cast<int>(-n);  // the daemon may still have replied (e.g. too large)
      break;
    }
    sent += static_cast<size_t>(n);
  }

  // Read one line (or up to EOF).
  std::string in;
  UniqueFd unexpected_fd;
  for (;;) {
    if (in.find('\n') != std::string::npos) break;
    auto ready = wait_for(sock.get(), POLLIN, deadline);
    if (!ready) return ready.error();
    if (!*ready)
      return make_error(where + " did not reply within " + std::to_string(timeout.count()) + " ms");
    ssize_t n = recv_some(sock.get(), in, unexpected_fd);
    if (n == -EAGAIN || n == -EINTR) continue;
    if (n < 0) return errno_error("reading reply from " + where, static_cast<int>(-n));
    if (n == 0) break;
  }
  if (in.empty()) {
    if (send_errno != 0) return errno_error("sending request to " + where, send_errno);
    return make_error(where + " closed the connection without replying");
  }
  auto reply = nlohmann::json::parse(in.substr(0, in.find('\n')), nullptr, false);
  if (reply.is_discarded() || !reply.is_object())
    return make_error("invalid reply from " + where + ": " + in.substr(0, 200));
  return reply;
}

}  // namespace zmesh::control
