// One HTTP/2 connection's pump over nghttp2, either role, for every HTTP/2 user (HBONE, the L7
// server and the L7 upstream connection). The engine owns the nghttp2 session, the reader
// (transport -> nghttp2_session_mem_recv), the writer (nghttp2_session_mem_send, or a DATA
// frame written by Hooks::write_data, -> transport, one flush per batch), the writer's wake-up
// and the end of the connection (GOAWAY over, EOF, errors, the linger after our last frames).
// What the frames mean is the user's: it implements Hooks and submits requests and responses
// on ng(). Everything runs on one executor, no locks.
#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "h2/hooks.h"
#include "h2/signal.h"
#include "h2/transport.h"

namespace zmesh::h2 {

struct EngineOptions {
  enum class Role { kClient, kServer };
  Role role = Role::kClient;
  std::vector<nghttp2_settings_entry> settings;  // our SETTINGS, submitted at once
  uint32_t connection_window = 0;                // session receive window; 0: nghttp2's 64 KiB
  bool auto_window_update = true;  // false: the user gives window back (nghttp2_session_consume)
  bool http_messaging = true;      // false: nghttp2 does not check the HTTP semantics
  bool reject_invalid_headers = false;  // a header nghttp2 would drop resets its stream instead
  bool direct_data = false;             // DATA frames are written by Hooks::write_data
  size_t max_data_frame = 0;            // our DATA frames' cap; 0: nghttp2's 16 KiB
  size_t read_buffer = 64 << 10;        // the first read's size...
  size_t max_read_buffer = 64 << 10;    // ...doubled up to this while reads fill it
  size_t write_batch = 64 << 10;        // output gathered for one flush
  // After our last frames: half-close, then wait this long for the peer's EOF before closing.
  // nullopt: close at once.
  std::optional<std::chrono::steady_clock::duration> linger;
};

class Engine {
 public:
  using Clock = std::chrono::steady_clock;

  Engine(const boost::asio::any_io_executor& executor, Hooks& hooks, const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The transport to run on (before run(); it must outlive the engine's I/O).
  void attach(Transport& transport) { transport_ = &transport; }
  // Reads until the connection ends, the writer running beside; returns once both are done.
  // `owner` keeps the engine (and its hooks and transport) alive for the writer. `preread`:
  // bytes of the connection already read by the caller, fed first.
  boost::asio::awaitable<void> run(std::shared_ptr<const void> owner,
                                   std::vector<uint8_t> preread = {});
  // There may be frames to send.
  void kick() { wake_.notify(); }
  // Ends the connection (transport closed, the reader and the writer stop). The first
  // non-empty `why` is kept as error().
  void close(const std::string& why);

  nghttp2_session* ng() const { return ng_.get(); }
  const boost::asio::any_io_executor& executor() const { return executor_; }
  // The DATA source to submit with: Hooks::read_data.
  nghttp2_data_provider data_provider();
  // No more output is wanted (see write_batch); DATA frames written by hooks wait.
  bool output_full() const;

  bool closed() const { return closed_; }
  bool read_closed() const { return read_closed_; }  // the peer's EOF, or closed
  bool finished() const { return finished_; }        // our last frames are out
  bool goaway_received() const { return goaway_received_; }
  Clock::time_point last_read() const { return last_read_; }
  const std::string& error() const { return error_; }

 private:
  friend struct Callbacks;
  struct NgDeleter {
    void operator()(nghttp2_session* session) const { nghttp2_session_del(session); }
  };

  boost::asio::awaitable<void> read_loop(std::vector<uint8_t> preread);
  static boost::asio::awaitable<void> write_loop(Engine* self, std::shared_ptr<const void> owner);
  bool feed(const uint8_t* data, size_t size);
  bool fill_output();
  bool done_writing() const;

  boost::asio::any_io_executor executor_;
  Hooks& hooks_;
  EngineOptions options_;
  std::unique_ptr<nghttp2_session, NgDeleter> ng_;
  Transport* transport_ = nullptr;
  Signal wake_;         // the writer's
  Signal writer_done_;  // the writer returned
  boost::asio::steady_timer linger_;
  Clock::time_point last_read_;
  bool writing_ = false;
  bool read_closed_ = false;
  bool finished_ = false;
  bool goaway_received_ = false;
  bool closed_ = false;
  std::string error_;
};

}  // namespace zmesh::h2
