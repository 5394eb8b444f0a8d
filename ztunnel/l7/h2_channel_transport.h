// The HTTP/2 engine's transport over an UpstreamChannel (h2/transport.h): a plain TCP socket or
// an HBONE stream, for H2UpstreamConnection. Output is gathered into one buffer and written
// with one channel write per batch; close() aborts the channel.
#pragma once

#include <memory>
#include <vector>

#include "h2/transport.h"
#include "transport/upstream_channel.h"

namespace zmesh::l7 {

class H2ChannelTransport final : public h2::Transport {
 public:
  explicit H2ChannelTransport(std::unique_ptr<transport::UpstreamChannel> channel)
      : channel_(std::move(channel)) {}

  Result<void> start(std::function<void()>) override { return ok(); }
  boost::asio::awaitable<Result<size_t>> read_some(uint8_t* out, size_t capacity) override {
    return channel_->read_some(boost::asio::buffer(out, capacity));
  }
  Result<void> put(const uint8_t* data, size_t length) override {
    output_.insert(output_.end(), data, data + length);
    return ok();
  }
  size_t pending() const override { return output_.size(); }
  boost::asio::awaitable<Result<void>> flush() override;
  void shutdown_send() override {}  // a channel has no half-close: the engine closes it
  void close() override { channel_->abort(); }

 private:
  std::unique_ptr<transport::UpstreamChannel> channel_;
  std::vector<uint8_t> output_;
};

}  // namespace zmesh::l7
