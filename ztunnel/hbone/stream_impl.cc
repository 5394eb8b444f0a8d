#include "hbone/stream_impl.h"

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>

#include "hbone/session.h"
#include "hbone/tuning.h"

namespace zmesh::hbone::detail {
namespace asio = boost::asio;

StreamImpl::StreamImpl(Session& session, ConnectRequest request, bool server)
    : session_(&session),
      request_(std::move(request)),
      server_(server),
      readable_(session_->executor()),
      writable_(session_->executor()) {}

void StreamImpl::attach(int32_t id, bool sending) {
  id_ = id;
  attached_ = true;
  sending_ = sending;
}

bool StreamImpl::io_open() const {
  return attached_ && !session_->closed();
}

void StreamImpl::send_reset(uint32_t error_code) {
  if (reset_sent_ || !io_open()) return;
  reset_sent_ = true;
  nghttp2_submit_rst_stream(session_->ng(), NGHTTP2_FLAG_NONE, id_, error_code);
  session_->kick();
}

void StreamImpl::respond(int status) {
  if (!server_ || responded_ || failed_ || !io_open()) return;
  responded_ = true;
  std::string text = std::to_string(status);
  nghttp2_nv nv = make_nv(":status", text);
  if (status == 200) {
    nghttp2_data_provider provider = session_->data_provider();
    nghttp2_submit_response(session_->ng(), id_, &nv, 1, &provider);
    sending_ = true;
  } else {
    // END_STREAM on the headers; the session follows with RST_STREAM(NO_ERROR).
    nghttp2_submit_response(session_->ng(), id_, &nv, 1, nullptr);
    refused_ = send_closed_ = true;
  }
  session_->kick();
}

asio::awaitable<Result<size_t>> StreamImpl::read_some(asio::mutable_buffer buffer) {
  for (;;) {
    if (failed_) co_return make_error(error_);
    if (!received_.empty() || buffer.size() == 0) {
      size_t n = received_.read(buffer.data(), buffer.size());
      session_->consume(id_, n);
      co_return n;
    }
    if (end_of_data_) co_return size_t{0};
    direct_ = buffer;
    direct_filled_ = 0;
    co_await readable_.wait();
    size_t n = direct_filled_;
    direct_ = {};
    direct_filled_ = 0;
    if (n > 0) {
      session_->consume(id_, n);
      co_return n;
    }
  }
}

asio::awaitable<Result<void>> StreamImpl::write(asio::const_buffer buffer) {
  if (failed_) co_return make_error(error_);
  if (write_closed_) co_return make_error("write after close_write");
  if (send_closed_) co_return make_error("stream closed by peer");
  unsent_.append(buffer.data(), buffer.size());
  resume_sending();
  while (unsent_.size() >= kSendQueueBound && !failed_ && !send_closed_) co_await writable_.wait();
  if (failed_) co_return make_error(error_);
  if (send_closed_) co_return make_error("stream closed by peer");
  co_return ok();
}

void StreamImpl::close_write() {
  if (write_closed_) return;
  write_closed_ = true;
  resume_sending();
}

void StreamImpl::reset() {
  fail("stream reset");
  send_reset(NGHTTP2_CANCEL);
}

void StreamImpl::abandon() {
  abandoned_ = true;
  direct_ = {};
  if (!io_open()) return;
  discard_received();
  if (refused_) return;
  if (write_closed_ && sending_ && !send_closed_ && !failed_) {
    // Queued bytes and END_STREAM still go out; a peer still sending is cancelled after.
    if (eof_sent_ && !end_of_data_) send_reset(NGHTTP2_CANCEL);
    return;
  }
  send_reset(NGHTTP2_CANCEL);
}

void StreamImpl::resume_sending() {
  if (!sending_ || !io_open()) return;
  if (deferred_) {
    deferred_ = false;
    nghttp2_session_resume_data(session_->ng(), id_);
  }
  session_->kick();
}

asio::awaitable<Result<int>> StreamImpl::response_status() {
  while (status_ == 0) {
    if (failed_) co_return make_error(error_);
    co_await readable_.wait();
  }
  co_return status_;
}

void StreamImpl::on_data(const uint8_t* data, size_t length) {
  if (failed_ || abandoned_) {  // nobody will read it: give the window back now
    session_->consume(id_, length);
    return;
  }
  if (sink_ && received_.empty()) {
    size_t n = send_to_sink(data, length);
    data += n;
    length -= n;
    if (sink_error_) {  // nobody will take the rest: give its window back; deliver_to reports
      session_->consume(id_, length);
      readable_.notify();
      return;
    }
    if (length == 0) return;
  } else if (direct_filled_ < direct_.size() && received_.empty()) {
    size_t n = std::min(length, direct_.size() - direct_filled_);
    std::memcpy(static_cast<uint8_t*>(direct_.data()) + direct_filled_, data, n);
    direct_filled_ += n;
    data += n;
    length -= n;
  }
  received_.append(data, length);
  readable_.notify();
}

void StreamImpl::on_end_of_data() {
  end_of_data_ = true;
  readable_.notify();
}

void StreamImpl::on_response_headers() {
  if (status_ != 0) return;  // trailers
  if (pending_status_ >= 200)
    status_ = pending_status_;
  else if (pending_status_ < 100)
    fail("CONNECT response without a valid :status");
  // 1xx: informational, the final response follows.
  readable_.notify();
}

void StreamImpl::on_end_stream_sent() {
  eof_sent_ = true;
  if (abandoned_ && !end_of_data_) send_reset(NGHTTP2_CANCEL);
}

void StreamImpl::on_closed(uint32_t error_code) {
  if (error_code == NGHTTP2_REFUSED_STREAM) refused_by_peer_ = true;
  if (error_code != NGHTTP2_NO_ERROR)
    fail(std::string("stream reset by peer (") + nghttp2_http2_strerror(error_code) + ")");
  else if (!end_of_data_)
    fail("stream closed by peer before its end");
  attached_ = false;
  if (!eof_queued_ || !unsent_.empty()) send_closed_ = true;
  readable_.notify();
  writable_.notify();
}

void StreamImpl::fail(const std::string& why) {
  if (!failed_) {
    failed_ = true;
    error_ = why;
  }
  discard_received();
  readable_.notify();
  writable_.notify();
}

void StreamImpl::discard_received() {
  if (received_.empty()) return;
  session_->consume(id_, received_.size());
  received_.clear();
}

ssize_t StreamImpl::provide(size_t max_length, uint32_t* flags) {
  size_t n = std::min(max_length, unsent_.size());
  if (n == 0 && !write_closed_) {
    deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (write_closed_ && n == unsent_.size()) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    eof_queued_ = true;
  }
  return static_cast<ssize_t>(n);
}

Result<void> StreamImpl::send_unsent(h2::Transport& out, size_t length) {
  while (length > 0) {
    auto [data, n] = unsent_.front(length);
    auto put = out.put(data, n);
    if (!put) return put;
    unsent_.consume(n);
    length -= n;
  }
  if (unsent_.size() < kSendQueueBound) writable_.notify();
  return ok();
}

size_t StreamImpl::send_to_sink(const uint8_t* data, size_t length) {
  boost::system::error_code ec;
  size_t n = sink_->send(asio::buffer(data, length), 0, ec);  // the socket is non-blocking
  if (ec == asio::error::would_block || ec == asio::error::try_again) return 0;
  if (ec) {
    sink_error_ = ec;
    return 0;
  }
  session_->consume(id_, n);
  if (sink_delivered_) sink_delivered_(n);
  return n;
}

asio::awaitable<Result<void>> StreamImpl::deliver_to(asio::ip::tcp::socket& socket,
                                                     std::function<void(size_t)> delivered,
                                                     boost::system::error_code& socket_error) {
  // Sends are synchronous and non-blocking, so no pointer into received_ is held across a
  // suspension (on_data may grow the queue meanwhile).
  socket.non_blocking(true, socket_error);
  if (socket_error) co_return ok();
  struct Detach {  // also when the coroutine is destroyed unfinished
    StreamImpl* self;
    ~Detach() {
      self->sink_ = nullptr;
      self->sink_delivered_ = nullptr;
    }
  } detach{this};
  sink_ = &socket;
  sink_delivered_ = std::move(delivered);
  sink_error_ = {};
  for (;;) {
    if (sink_error_) {
      socket_error = sink_error_;
      co_return ok();
    }
    if (failed_) co_return make_error(error_);
    if (!received_.empty()) {
      auto [data, n] = received_.front(received_.size());
      size_t sent = send_to_sink(data, n);
      received_.consume(sent);
      if (sent == n || sink_error_) continue;
      boost::system::error_code ec;  // full: wait until the socket drains
      co_await socket.async_wait(asio::socket_base::wait_write,
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) sink_error_ = ec;
      continue;
    }
    if (end_of_data_) co_return ok();
    co_await readable_.wait();
  }
}

asio::awaitable<Result<size_t>> StreamImpl::write_from(asio::ip::tcp::socket& socket,
                                                       boost::system::error_code& socket_error) {
  while (unsent_.size() >= kSendQueueBound && !failed_ && !send_closed_) co_await writable_.wait();
  if (failed_) co_return make_error(error_);
  if (write_closed_) co_return make_error("write after close_write");
  if (send_closed_) co_return make_error("stream closed by peer");
  auto [space, capacity] = unsent_.prepare(relay_read_size_);
  size_t n = co_await socket.async_read_some(
      asio::buffer(space, capacity), asio::redirect_error(asio::use_awaitable, socket_error));
  if (socket_error) co_return size_t{0};
  unsent_.commit(n);
  // Filled what was offered: more was waiting, offer more next time.
  if (n == capacity && relay_read_size_ < kRelayBuffer) relay_read_size_ *= 2;
  resume_sending();
  co_return n;
}

}  // namespace zmesh::hbone::detail
