#include "h2/socket_transport.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace zmesh::h2 {
namespace asio = boost::asio;
using asio::ip::tcp;

SocketTransport::SocketTransport(tcp::socket& socket) : socket_(socket) {
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
}

asio::awaitable<Result<size_t>> SocketTransport::read_some(uint8_t* out, size_t capacity) {
  boost::system::error_code ec;
  size_t n = co_await socket_.async_read_some(asio::buffer(out, capacity),
                                              asio::redirect_error(asio::use_awaitable, ec));
  if (ec == asio::error::eof) co_return size_t{0};
  if (ec) co_return make_error("read: " + ec.message());
  co_return n;
}

Result<void> SocketTransport::put(const uint8_t* data, size_t length) {
  output_.insert(output_.end(), data, data + length);
  return ok();
}

asio::awaitable<Result<void>> SocketTransport::flush() {
  boost::system::error_code ec;
  co_await asio::async_write(socket_, asio::buffer(output_),
                             asio::redirect_error(asio::use_awaitable, ec));
  output_.clear();
  if (ec) co_return make_error("write: " + ec.message());
  co_return ok();
}

void SocketTransport::shutdown_send() {
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

void SocketTransport::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace zmesh::h2
