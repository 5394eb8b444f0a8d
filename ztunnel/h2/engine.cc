#include "h2/engine.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "h2/engine_callbacks.h"

namespace zmesh::h2 {
namespace asio = boost::asio;

namespace {

std::string ng_error(ssize_t code) {
  return std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(code));
}

}  // namespace

Engine::Engine(const asio::any_io_executor& executor, Hooks& hooks, const EngineOptions& options)
    : executor_(executor),
      hooks_(hooks),
      options_(options),
      ng_(detail::new_ng_session(*this, options_)),
      wake_(executor),
      writer_done_(executor),
      linger_(executor),
      last_read_(Clock::now()) {
  nghttp2_submit_settings(ng(), NGHTTP2_FLAG_NONE, options_.settings.data(),
                          options_.settings.size());
  if (options_.connection_window > 0)
    nghttp2_session_set_local_window_size(ng(), NGHTTP2_FLAG_NONE, 0,
                                          static_cast<int32_t>(options_.connection_window));
}

Engine::~Engine() = default;

nghttp2_data_provider Engine::data_provider() {
  return detail::hooks_data_provider();
}

bool Engine::output_full() const {
  return transport_->pending() >= options_.write_batch;
}

asio::awaitable<void> Engine::run(std::shared_ptr<const void> owner, std::vector<uint8_t> preread) {
  if (closed_) co_return;
  if (!transport_) {
    close("HTTP/2: no transport");
    co_return;
  }
  if (auto started = transport_->start([this] { kick(); }); !started) {
    close(started.error().message);
    co_return;
  }
  writing_ = true;
  asio::co_spawn(executor_, write_loop(this, owner), asio::detached);
  co_await read_loop(std::move(preread));
  while (writing_) co_await writer_done_.wait();
}

bool Engine::feed(const uint8_t* data, size_t size) {
  // Protocol errors make nghttp2 queue a GOAWAY and stop wanting to read; only fatal ones
  // (a bad preface, out of memory, a callback failure) come back here.
  ssize_t rv = nghttp2_session_mem_recv(ng(), data, size);
  if (rv < 0) {
    close(ng_error(rv));
    return false;
  }
  kick();  // SETTINGS and PING acks, WINDOW_UPDATEs, refusals, or the end of the session
  return true;
}

asio::awaitable<void> Engine::read_loop(std::vector<uint8_t> preread) {
  if (!preread.empty() && !feed(preread.data(), preread.size())) co_return;
  std::vector<uint8_t> input(options_.read_buffer);
  for (;;) {
    auto n = co_await transport_->read_some(input.data(), input.size());
    if (closed_) co_return;  // our own close
    if (!n) {
      close(n.error().message);
      co_return;
    }
    if (*n == 0) {
      // The peer closed its side. The writer may still owe answers (see Hooks::busy).
      read_closed_ = true;
      linger_.cancel();
      hooks_.on_eof();
      kick();
      co_return;
    }
    last_read_ = Clock::now();
    if (!feed(input.data(), *n)) co_return;
    if (*n == input.size() && input.size() < options_.max_read_buffer)
      input.resize(input.size() * 2);  // more was waiting: read more at once
  }
}

bool Engine::fill_output() {
  while (!output_full()) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(ng(), &data);
    if (n < 0) {
      close(ng_error(n));
      return false;
    }
    if (n == 0) break;
    if (auto put = transport_->put(data, static_cast<size_t>(n)); !put) {
      close(put.error().message);
      return false;
    }
  }
  return true;
}

bool Engine::done_writing() const {
  if (nghttp2_session_want_write(ng())) return false;
  return !nghttp2_session_want_read(ng()) || (read_closed_ && !hooks_.busy());
}

asio::awaitable<void> Engine::write_loop(Engine* self,
                                         [[maybe_unused]] std::shared_ptr<const void> owner) {
  Engine& e = *self;  // alive while `owner` is
  while (!e.closed_) {
    if (!e.fill_output()) break;
    if (e.transport_->pending() > 0) {
      auto sent = co_await e.transport_->flush();
      if (!sent && !e.closed_) e.close(sent.error().message);
      continue;
    }
    if (e.done_writing()) {
      e.finished_ = true;
      e.hooks_.on_finished();
      if (e.closed_) break;
      if (!e.options_.linger) {
        e.close("");
        break;
      }
      // Our last frames are out. Closing at once could turn them into a TCP reset (unread
      // input): half-close, and give the peer a moment to close its side.
      e.transport_->shutdown_send();
      if (!e.read_closed_) {
        boost::system::error_code ignored;
        e.linger_.expires_after(*e.options_.linger);
        co_await e.linger_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        e.close("");
      }
      break;
    }
    co_await e.wake_.wait();
  }
  e.writing_ = false;
  e.writer_done_.notify();
}

void Engine::close(const std::string& why) {
  if (error_.empty()) error_ = why;
  if (closed_) return;
  closed_ = true;
  read_closed_ = true;
  if (transport_) transport_->close();  // aborts the reader's and the writer's I/O
  linger_.cancel();
  kick();
  hooks_.on_closed();
}

}  // namespace zmesh::h2
