#include "hbone/connection_pool.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/endpoint_text.h"
#include "h2/signal.h"
#include "hbone/dial.h"
#include "hbone/session.h"

namespace zmesh::hbone {
namespace asio = boost::asio;
using detail::Session;

namespace {

// A connection being opened; concurrent connects for its key wait for it.
struct Dial {
  explicit Dial(const asio::any_io_executor& executor) : done(executor) {}
  h2::Signal done;
  bool finished = false;
  std::optional<Error> error;
};

std::string key_string(const PoolKey& key) {
  return key.source + '\n' + endpoint_text(key.hbone_addr);
}

}  // namespace

struct ConnectionPool::Impl : std::enable_shared_from_this<ConnectionPool::Impl> {
  Impl(asio::any_io_executor e, SessionOptions o, bool r)
      : executor(std::move(e)), options(o), reuse(r) {}

  asio::any_io_executor executor;
  SessionOptions options;
  bool reuse;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Session>>> sessions;
  std::unordered_map<std::string, std::shared_ptr<Dial>> dials;
  bool closed = false;

  // A pooled connection with room for one more stream. Connections that stopped taking
  // streams leave the pool here; they finish their streams on their own.
  std::shared_ptr<Session> pick(const std::string& key) {
    auto it = sessions.find(key);
    if (it == sessions.end()) return nullptr;
    auto& list = it->second;
    std::erase_if(list, [](const auto& s) { return !s->usable(); });
    for (const auto& s : list)
      if (s->stream_count() < s->stream_limit()) return s;
    if (list.empty()) sessions.erase(it);
    return nullptr;
  }

  void add(const std::string& key, const std::shared_ptr<Session>& session) {
    sessions[key].push_back(session);
    asio::co_spawn(executor, Session::run(session),
                   [weak = weak_from_this(), key, raw = session.get()](std::exception_ptr) {
                     if (auto self = weak.lock()) self->remove(key, raw);
                   });
  }

  void remove(const std::string& key, const Session* session) {
    auto it = sessions.find(key);
    if (it == sessions.end()) return;
    std::erase_if(it->second, [session](const auto& s) { return s.get() == session; });
    if (it->second.empty()) sessions.erase(it);
  }

  // Returns the new connection, or waits for one being opened for `key` (nullptr: look again).
  asio::awaitable<Result<std::shared_ptr<Session>>> open(const std::string& key,
                                                         const PoolKey& pool_key,
                                                         const ConnectOptions& options) {
    if (auto it = dials.find(key); it != dials.end()) {
      auto dial = it->second;
      while (!dial->finished) co_await dial->done.wait();
      if (dial->error) co_return *dial->error;
      co_return std::shared_ptr<Session>();
    }
    auto dial = std::make_shared<Dial>(executor);
    dials[key] = dial;
    auto session = co_await detail::dial_session(pool_key.hbone_addr, options, this->options);
    dials.erase(key);
    dial->finished = true;
    if (!session) dial->error = session.error();
    dial->done.notify();
    if (!session) co_return session.error();
    if (closed) co_return make_error("HBONE connection pool closed");
    add(key, *session);
    co_return *session;
  }
};

ConnectionPool::ConnectionPool(asio::any_io_executor executor, SessionOptions options, bool reuse)
    : impl_(std::make_shared<Impl>(std::move(executor), options, reuse)) {}

ConnectionPool::~ConnectionPool() {
  impl_->closed = true;
  for (auto& [key, list] : impl_->sessions)
    for (auto& session : list) session->shutdown();  // streams in use finish first
  impl_->sessions.clear();
}

asio::awaitable<Result<std::shared_ptr<Stream>>> ConnectionPool::connect(
    const PoolKey& key, const ConnectOptions& options, ConnectRequest request) {
  auto impl = impl_;  // the pool may go away while we wait
  const std::string id = key_string(key);
  if (!impl->reuse) co_return co_await connect_unpooled(key, options, std::move(request));
  for (int attempt = 0;; ++attempt) {
    if (impl->closed) co_return make_error("HBONE connection pool closed");
    auto session = impl->pick(id);
    if (!session) {
      auto opened = co_await impl->open(id, key, options);
      if (!opened) co_return opened.error();
      session = *opened;
      if (!session) continue;  // another connect opened one: pick again
    }
    bool refused = false;
    auto stream = co_await session->open_stream(request, &refused);
    // A connection closing under us (a GOAWAY race) refuses the stream: retry once.
    if (stream || !refused || attempt > 0) co_return stream;
  }
}

asio::awaitable<Result<std::shared_ptr<Stream>>> ConnectionPool::connect_unpooled(
    const PoolKey& key, const ConnectOptions& options, ConnectRequest request) {
  auto impl = impl_;
  auto session = co_await detail::dial_session(key.hbone_addr, options, impl->options);
  if (!session) co_return session.error();
  asio::co_spawn(impl->executor, Session::run(*session), asio::detached);
  auto stream = co_await (*session)->open_stream(std::move(request));
  (*session)->shutdown();  // GOAWAY now: the connection closes when this stream ends
  co_return stream;
}

size_t ConnectionPool::connections() const {
  size_t n = 0;
  for (const auto& [key, list] : impl_->sessions)
    for (const auto& session : list) n += session->usable() ? 1 : 0;
  return n;
}

}  // namespace zmesh::hbone
