// The HTTP/2 session's TLS transport (internal): the HTTP/2 engine's h2::Transport for HBONE.
// asio::ssl::stream does the handshake; the data path then drives the handshaken SSL object
// directly through a BIO of ours, because asio's engine moves one ~16 KiB record per socket syscall
// (through a 17 KiB BIO pair and two extra copies). Here one recv() feeds many records to SSL_read
// and one send() carries everything SSL_write produced for a whole output batch. Small pieces of
// output (frames, small DATA payloads) are gathered into one TLS record; big ones (DATA payloads
// put straight from a stream's send queue) are encrypted in place, without a copy.
//
// Taking over is safe after a completed asio handshake: asio reads from the socket only when
// OpenSSL has drained its input BIO, so the only ciphertext not yet seen by OpenSSL sits in
// that BIO (e.g. the client's first HTTP/2 frames right behind its Finished), and it is moved
// into our input buffer. Afterwards the ssl::stream must not be used for I/O; its TCP socket
// (lowest_layer) still is, for shutdown and close.
#pragma once

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/result.h"
#include "h2/transport.h"
#include "hbone/server.h"

namespace zmesh::hbone::detail {

class TlsChannel final : public h2::Transport {
 public:
  explicit TlsChannel(std::shared_ptr<TlsSocket> socket);
  ~TlsChannel() override;
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // Switches the SSL object over to this channel (once, before any read/write).
  // `output_ready` runs when reading made TLS output (e.g. a KeyUpdate answer) to flush.
  Result<void> start(std::function<void()> output_ready) override;

  // Decrypts at least one byte into `out` (0: the peer closed, TCP EOF or close_notify).
  // One reader at a time.
  boost::asio::awaitable<Result<size_t>> read_some(uint8_t* out, size_t capacity) override;

  // Takes `data` for the next flush (no I/O): below kDirectEncryptMin it joins the record
  // being gathered, else that record is closed and `data` is encrypted at once.
  Result<void> put(const uint8_t* data, size_t length) override;
  // Output waiting to be sent: the record being gathered, what was encrypted, and TLS output
  // made while reading (e.g. a KeyUpdate answer).
  size_t pending() const override { return plaintext_out_.size() + ciphertext_out_.size(); }
  // Sends the pending output. One writer at a time; may run concurrently with read_some.
  boost::asio::awaitable<Result<void>> flush() override;

  void shutdown_send() override;
  void close() override;

 private:
  static int bio_write(BIO* bio, const char* data, int length);
  static int bio_read(BIO* bio, char* out, int length);
  static long bio_ctrl(BIO* bio, int cmd, long num, void* ptr);
  Result<void> encrypt(const uint8_t* data, size_t length);
  Result<void> seal();  // encrypts the gathered pieces into one record

  std::shared_ptr<TlsSocket> socket_;
  SSL* ssl_;
  BIO_METHOD* method_ = nullptr;
  BIO* bio_ = nullptr;  // owned by ssl_
  std::function<void()> output_ready_;

  std::vector<uint8_t> ciphertext_in_;  // [in_begin_, in_end_) not yet read by OpenSSL
  size_t in_begin_ = 0, in_end_ = 0;
  bool in_eof_ = false;
  std::vector<uint8_t> plaintext_out_;   // small pieces gathered into one record
  std::vector<uint8_t> ciphertext_out_;  // OpenSSL writes records here...
  std::vector<uint8_t> sending_;         // ...and the writer sends them from here
};

}  // namespace zmesh::hbone::detail
