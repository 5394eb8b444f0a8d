#include "transport/splice_relay.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "common/unique_fd.h"

namespace zmesh::transport {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr size_t kPipeSize = 1 << 20;  // fewer wakeups per MiB; capped by pipe-max-size

struct Pipe {
  UniqueFd read_end, write_end;
  size_t capacity = 65536;
  std::string open() {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return std::strerror(errno);
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
    int size = ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(kPipeSize));
    if (size > 0) capacity = static_cast<size_t>(size);
    return {};
  }
};

// Shared by both directions; the last one to finish reports.
struct Relay {
  tcp::socket client, upstream;
  RelayCounters counters;
  std::function<void(const RelayResult&)> done;
  RelayResult result;
  int running = 2;
  RelayDeadline deadline;  // the pumps stamp their progress for its idle timer

  Relay(tcp::socket c, tcp::socket u, RelayCounters k, std::function<void(const RelayResult&)> d)
      : client(std::move(c)), upstream(std::move(u)), counters(k), done(std::move(d)) {}

  void fail(const std::string& why) {
    if (result.error.empty()) result.error = why;
    boost::system::error_code ignored;
    client.close(ignored);  // wakes the other direction
    upstream.close(ignored);
  }

  void finish_one() {
    if (--running == 0) {
      boost::system::error_code ignored;
      client.close(ignored);
      upstream.close(ignored);
      deadline.cancel();
      if (done) done(result);
    }
  }
};

// Moves bytes from `from` to `to` until EOF or error.
asio::awaitable<void> pump(std::shared_ptr<Relay> relay, tcp::socket& from, tcp::socket& to,
                           std::atomic<uint64_t>* live, uint64_t& total, const char* name) {
  Pipe pipe;
  if (auto err = pipe.open(); !err.empty()) {
    relay->fail(std::string("pipe: ") + err);
    co_return;
  }
  const unsigned flags = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;
  size_t buffered = 0;  // bytes sitting in the pipe
  bool eof = false;
  try {
    for (;;) {
      bool read_blocked = eof || buffered == pipe.capacity;
      if (!read_blocked) {
        ssize_t n = ::splice(from.native_handle(), nullptr, pipe.write_end.get(), nullptr,
                             pipe.capacity - buffered, flags);
        if (n > 0) {
          buffered += static_cast<size_t>(n);
        } else if (n == 0) {
          eof = true;
        } else if (errno == EAGAIN) {
          read_blocked = true;
        } else if (errno != EINTR) {
          relay->fail(std::string(name) + " read: " + std::strerror(errno));
          co_return;
        }
      }
      if (buffered > 0) {
        ssize_t n =
            ::splice(pipe.read_end.get(), nullptr, to.native_handle(), nullptr, buffered, flags);
        if (n > 0) {
          buffered -= static_cast<size_t>(n);
          total += static_cast<uint64_t>(n);
          relay->deadline.touch();
          if (live) live->fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
        } else if (n < 0 && errno == EAGAIN) {
          // Writer is full: wait for it unless the reader can still fill the pipe.
          if (read_blocked) co_await to.async_wait(tcp::socket::wait_write, asio::use_awaitable);
        } else if (!(n < 0 && errno == EINTR)) {
          relay->fail(std::string(name) + " write: " + std::strerror(n < 0 ? errno : EPIPE));
          co_return;
        }
      } else if (eof) {
        break;
      } else if (read_blocked) {
        co_await from.async_wait(tcp::socket::wait_read, asio::use_awaitable);
      }
    }
    // Forward the half-close; the other direction keeps flowing.
    ::shutdown(to.native_handle(), SHUT_WR);
  } catch (const boost::system::system_error& e) {
    if (e.code() != asio::error::operation_aborted)
      relay->fail(std::string(name) + ": " + e.code().message());
  }
}

}  // namespace

void start_splice_relay(tcp::socket client, tcp::socket upstream, RelayCounters counters,
                        std::function<void(const RelayResult&)> done, RelayLimits limits) {
  // SPLICE_F_NONBLOCK covers only the pipe: a blocking socket would stall the worker.
  boost::system::error_code ec;
  client.non_blocking(true, ec);
  upstream.non_blocking(true, ec);
  auto relay =
      std::make_shared<Relay>(std::move(client), std::move(upstream), counters, std::move(done));
  auto executor = relay->client.get_executor();
  relay->deadline.start(executor, limits,
                        [weak = std::weak_ptr<Relay>(relay)](const std::string& why) {
                          if (auto r = weak.lock()) r->fail(why);
                        });
  asio::co_spawn(executor,
                 pump(relay, relay->client, relay->upstream, counters.client_to_upstream,
                      relay->result.client_to_upstream, "client->upstream"),
                 [relay](std::exception_ptr) { relay->finish_one(); });
  asio::co_spawn(executor,
                 pump(relay, relay->upstream, relay->client, counters.upstream_to_client,
                      relay->result.upstream_to_client, "upstream->client"),
                 [relay](std::exception_ptr) { relay->finish_one(); });
}

}  // namespace zmesh::transport
