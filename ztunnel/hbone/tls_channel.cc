#include "hbone/tls_channel.h"

#include <openssl/err.h>

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <string>

#include "hbone/tuning.h"

namespace zmesh::hbone::detail {
namespace asio = boost::asio;

namespace {

std::string ssl_error(const char* what, int code) {
  std::string message = what;
  unsigned long e = ERR_get_error();
  if (e != 0) {
    char text[256];
    ERR_error_string_n(e, text, sizeof(text));
    message += std::string(": ") + text;
  } else {
    message += ": SSL error " + std::to_string(code);
  }
  ERR_clear_error();
  return message;
}

}  // namespace

TlsChannel::TlsChannel(std::shared_ptr<TlsSocket> socket)
    : socket_(std::move(socket)),
      ssl_(socket_->native_handle()),
      ciphertext_in_(2 * kInitialBuffer) {}  // room for a whole 16 KiB record

TlsChannel::~TlsChannel() {
  // Our BIO must not outlive its method: detach it now (the SSL object lives on in the
  // ssl::stream until that goes away).
  if (bio_) SSL_set_bio(ssl_, nullptr, nullptr);
  if (method_) BIO_meth_free(method_);
}

Result<void> TlsChannel::start(std::function<void()> output_ready) {
  output_ready_ = std::move(output_ready);
  BIO* old_write = SSL_get_wbio(ssl_);
  if (old_write && BIO_ctrl_wpending(old_write) != 0)
    return make_error("TLS takeover: handshake output still unsent");
  // Ciphertext already handed to OpenSSL but not yet read by it moves to our buffer.
  if (BIO* old_read = SSL_get_rbio(ssl_)) {
    size_t pending = BIO_ctrl_pending(old_read);
    if (pending > ciphertext_in_.size()) ciphertext_in_.resize(pending);
    while (in_end_ < pending) {
      int n =
          BIO_read(old_read, ciphertext_in_.data() + in_end_, static_cast<int>(pending - in_end_));
      if (n <= 0) return make_error("TLS takeover: cannot drain pending input");
      in_end_ += static_cast<size_t>(n);
    }
  }
  method_ = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "hbone");
  if (!method_) return make_error("TLS takeover: BIO_meth_new failed");
  BIO_meth_set_write(method_, &TlsChannel::bio_write);
  BIO_meth_set_read(method_, &TlsChannel::bio_read);
  BIO_meth_set_ctrl(method_, &TlsChannel::bio_ctrl);
  bio_ = BIO_new(method_);
  if (!bio_) return make_error("TLS takeover: BIO_new failed");
  BIO_set_data(bio_, this);
  BIO_set_init(bio_, 1);
  SSL_set_bio(ssl_, bio_, bio_);  // frees asio's BIO pair end
  // Whole writes (no per-record returns), and keep OpenSSL's record buffers between calls.
  SSL_clear_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
  // HBONE peers end connections with a TCP FIN, not close_notify: that is a clean end.
  SSL_set_options(ssl_, SSL_OP_IGNORE_UNEXPECTED_EOF);
  return ok();
}

int TlsChannel::bio_write(BIO* bio, const char* data, int length) {
  auto* self = static_cast<TlsChannel*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  const auto* bytes = reinterpret_cast<const uint8_t*>(data);
  self->ciphertext_out_.insert(self->ciphertext_out_.end(), bytes, bytes + length);
  return length;
}

int TlsChannel::bio_read(BIO* bio, char* out, int length) {
  auto* self = static_cast<TlsChannel*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  size_t available = self->in_end_ - self->in_begin_;
  if (available == 0) {
    if (self->in_eof_) return 0;
    BIO_set_retry_read(bio);
    return -1;
  }
  size_t n = std::min(available, static_cast<size_t>(length));
  std::memcpy(out, self->ciphertext_in_.data() + self->in_begin_, n);
  self->in_begin_ += n;
  return static_cast<int>(n);
}

long TlsChannel::bio_ctrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

asio::awaitable<Result<size_t>> TlsChannel::read_some(uint8_t* out, size_t capacity) {
  for (;;) {
    // Decrypt everything already received, up to `capacity`.
    size_t got = 0;
    while (got < capacity) {
      size_t n = 0;
      ERR_clear_error();
      int rv = SSL_read_ex(ssl_, out + got, capacity - got, &n);
      if (rv == 1) {
        got += n;
        continue;
      }
      int code = SSL_get_error(ssl_, rv);
      if (code == SSL_ERROR_WANT_READ) break;
      if (code == SSL_ERROR_ZERO_RETURN) {  // close_notify, or EOF between records
        in_eof_ = true;
        break;
      }
      co_return make_error(ssl_error("TLS read", code));
    }
    if (got > 0 || in_eof_) co_return got;
    if (!ciphertext_out_.empty() && output_ready_) output_ready_();

    // Need more ciphertext: keep the unread tail, then one recv() for as much as there is.
    if (in_begin_ > 0) {
      std::memmove(ciphertext_in_.data(), ciphertext_in_.data() + in_begin_, in_end_ - in_begin_);
      in_end_ -= in_begin_;
      in_begin_ = 0;
    }
    if (in_end_ == ciphertext_in_.size())
      ciphertext_in_.resize(ciphertext_in_.size() * 2);  // a big record
    boost::system::error_code ec;
    size_t n = co_await socket_->next_layer().async_read_some(
        asio::buffer(ciphertext_in_.data() + in_end_, ciphertext_in_.size() - in_end_),
        asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof) {
      in_eof_ = true;
      continue;  // let OpenSSL see the end (a truncated record is an error)
    }
    if (ec) co_return make_error("TLS read: " + ec.message());
    in_end_ += n;
    if (in_end_ == ciphertext_in_.size() && ciphertext_in_.size() < kCiphertextBuffer)
      ciphertext_in_.resize(ciphertext_in_.size() * 2);  // more was waiting: read more at once
  }
}

Result<void> TlsChannel::encrypt(const uint8_t* data, size_t length) {
  if (length == 0) return ok();
  size_t written = 0;
  ERR_clear_error();
  int rv = SSL_write_ex(ssl_, data, length, &written);
  if (rv != 1 || written != length)
    return make_error(ssl_error("TLS write", SSL_get_error(ssl_, rv)));
  return ok();
}

Result<void> TlsChannel::put(const uint8_t* data, size_t length) {
  if (length < kDirectEncryptMin) {  // small: coalesce with the pieces around it
    plaintext_out_.insert(plaintext_out_.end(), data, data + length);
    return ok();
  }
  // Big: it closes the record of small pieces, and is encrypted in place.
  if (auto sealed = seal(); !sealed) return sealed;
  return encrypt(data, length);
}

Result<void> TlsChannel::seal() {
  auto encrypted = encrypt(plaintext_out_.data(), plaintext_out_.size());
  plaintext_out_.clear();
  return encrypted;
}

asio::awaitable<Result<void>> TlsChannel::flush() {
  if (auto sealed = seal(); !sealed) co_return sealed;
  if (ciphertext_out_.empty()) co_return ok();
  // OpenSSL may append more (while reading) during the send: it goes to the other buffer.
  std::swap(ciphertext_out_, sending_);
  boost::system::error_code ec;
  co_await asio::async_write(socket_->next_layer(), asio::buffer(sending_),
                             asio::redirect_error(asio::use_awaitable, ec));
  sending_.clear();
  if (ec) co_return make_error("TLS write: " + ec.message());
  co_return ok();
}

void TlsChannel::shutdown_send() {
  boost::system::error_code ignored;
  socket_->lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

void TlsChannel::close() {
  boost::system::error_code ignored;
  socket_->lowest_layer().close(ignored);
}

}  // namespace zmesh::hbone::detail
