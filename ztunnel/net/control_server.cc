#include "net/control_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <set>
#include <utility>  // before Boost 1.74's awaitable.hpp, which misses it

#include "control/control.h"
#include "control/ops.h"
#include "control/socket_io.h"
#include "net/accept_loop.h"

namespace zmesh::net {
namespace {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using boost::system::error_code;

constexpr size_t kMaxRequest = 1 << 20;
constexpr auto kRequestTimeout = std::chrono::seconds(5);

// True if a live server answers on `path` (then we must not steal its socket).
bool someone_listening(const std::string& path) {
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

struct ControlServer::Impl {
  Impl(asio::io_context& io, std::string path, Handler handler)
      : io(io), path(std::move(path)), handler(std::move(handler)), acceptor(io) {}

  asio::io_context& io;
  std::string path;
  Handler handler;
  local::acceptor acceptor;
  std::set<local::socket*> sessions;  // closed by ~ControlServer
  bool stopped = false;
  dev_t dev = 0;  // identity of our socket file, so we only ever unlink our own
  ino_t ino = 0;

  nlohmann::json handle(const std::string& line, UniqueFd fd) {
    auto request = nlohmann::json::parse(line, nullptr, false);
    if (request.is_discarded()) return control::error_reply("invalid request: not JSON");
    if (!request.is_object()) return control::error_reply("invalid request: not a JSON object");
    try {
      auto reply = handler(request, std::move(fd));
      return reply.is_object() ? reply : control::ok_reply(std::move(reply));
    } catch (const std::exception& e) {
      return control::error_reply(e.what());
    }
  }
};

namespace {

template <typename Impl>
asio::awaitable<void> serve(std::shared_ptr<Impl> self, local::socket accepted) {
  auto sock = std::make_shared<local::socket>(std::move(accepted));
  self->sessions.insert(sock.get());
  struct Unregister {
    std::set<local::socket*>& set;
    local::socket* s;
    ~Unregister() { set.erase(s); }
  } unregister{self->sessions, sock.get()};

  // A client that connects and goes quiet must not hold the session forever.
  asio::steady_timer deadline(self->io, kRequestTimeout);
  deadline.async_wait([sock](error_code ec) {
    if (!ec) sock->close(ec);
  });

  std::string buf;
  UniqueFd fd;
  error_code ec;
  size_t newline = std::string::npos;
  while (newline == std::string::npos) {
    co_await sock->async_wait(local::socket::wait_read,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec || self->stopped) co_return;
    ssize_t n = control::recv_some(sock->native_handle(), buf, fd);
    if (n == -EAGAIN || n == -EINTR) continue;
    if (n < 0) co_return;
    if (n == 0) {  // EOF without newline: accept what came, if anything
      if (buf.empty()) co_return;
      newline = buf.size();
      break;
    }
    if (buf.size() > kMaxRequest) break;
    newline = buf.find('\n');
  }

  nlohmann::json reply = buf.size() > kMaxRequest
                             ? control::error_reply("invalid request: larger than 1 MiB")
                             : self->handle(buf.substr(0, newline), std::move(fd));
  std::string out = reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (self->stopped) co_return;
  co_await asio::async_write(*sock, asio::buffer(out),
                             asio::redirect_error(asio::use_awaitable, ec));
  deadline.cancel();
  sock->shutdown(local::socket::shutdown_both, ec);
  sock->close(ec);
}

template <typename Impl>
asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
  auto on_accept = [self](local::socket socket) {
    if (!self->stopped) asio::co_spawn(self->io, serve(self, std::move(socket)), asio::detached);
  };
  co_await zmesh::accept_loop(self->acceptor, on_accept);
}

}  // namespace

ControlServer::ControlServer(asio::io_context& io, std::string socket_path, Handler handler)
    : impl_(std::make_shared<Impl>(io, std::move(socket_path), std::move(handler))) {}

ControlServer::~ControlServer() {
  impl_->stopped = true;
  error_code ec;
  impl_->acceptor.close(ec);
  for (auto* s : impl_->sessions) s->close(ec);
  impl_->handler = nullptr;
  struct stat st {};
  if (impl_->ino != 0 && ::lstat(impl_->path.c_str(), &st) == 0 && st.st_dev == impl_->dev &&
      st.st_ino == impl_->ino)
    ::unlink(impl_->path.c_str());
}

Result<void> ControlServer::start() {
  const std::string& path = impl_->path;
  const std::string tmp = path + ".new";
  if (tmp.size() >= sizeof(sockaddr_un::sun_path))
    return make_error("control socket path too long (max " +
                      std::to_string(sizeof(sockaddr_un::sun_path) - 5) + " bytes): " + path);

  std::error_code fs_ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, fs_ec);
  if (fs_ec) return make_error("cannot create " + dir.string() + ": " + fs_ec.message());

  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return make_error(path + " exists and is not a socket");
    if (someone_listening(path)) return make_error("another daemon is already serving " + path);
  }

  // Bind under a temporary name, restrict it, then rename over the final path: the socket
  // is never reachable with a looser mode, and a stale one is replaced atomically.
  ::unlink(tmp.c_str());
  auto& acc = impl_->acceptor;
  error_code ec;
  auto fail = [&](const std::string& step) {
    error_code ignored;
    acc.close(ignored);
    ::unlink(tmp.c_str());
    return make_error("cannot listen on " + path + ": " + step);
  };
  if (acc.open(local(), ec)) return fail("socket: " + ec.message());
  if (acc.bind(local::endpoint(tmp), ec)) return fail("bind: " + ec.message());
  if (::chmod(tmp.c_str(), 0600) != 0) return fail(std::string("chmod: ") + strerror(errno));
  if (acc.listen(asio::socket_base::max_listen_connections, ec))
    return fail("listen: " + ec.message());
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return fail(std::string("rename: ") + strerror(errno));
  if (::lstat(path.c_str(), &st) == 0) {
    impl_->dev = st.st_dev;
    impl_->ino = st.st_ino;
  }
  asio::co_spawn(impl_->io, accept_loop(impl_), asio::detached);
  return ok();
}

}  // namespace zmesh::net
