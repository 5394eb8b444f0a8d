// The HTTP/2 engine's transport over a plain TCP socket (cleartext HTTP/2, h2c). The socket is
// the caller's and must outlive the transport; close() closes it. Output is gathered into one
// buffer and sent with one write per batch.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <vector>

#include "h2/transport.h"

namespace zmesh::h2 {

class SocketTransport final : public Transport {
 public:
  // Sets TCP_NODELAY: HEADERS and small responses must not wait for ACKs.
  explicit SocketTransport(boost::asio::ip::tcp::socket& socket);

  Result<void> start(std::function<void()>) override { return ok(); }
  boost::asio::awaitable<Result<size_t>> read_some(uint8_t* out, size_t capacity) override;
  Result<void> put(const uint8_t* data, size_t length) override;
  size_t pending() const override { return output_.size(); }
  boost::asio::awaitable<Result<void>> flush() override;
  void shutdown_send() override;
  void close() override;

 private:
  boost::asio::ip::tcp::socket& socket_;
  std::vector<uint8_t> output_;
};

}  // namespace zmesh::h2
