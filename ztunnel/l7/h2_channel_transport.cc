#include "l7/h2_channel_transport.h"

namespace zmesh::l7 {

boost::asio::awaitable<Result<void>> H2ChannelTransport::flush() {
  auto sent = co_await channel_->write(boost::asio::buffer(output_));
  output_.clear();
  co_return sent;
}

}  // namespace zmesh::l7
