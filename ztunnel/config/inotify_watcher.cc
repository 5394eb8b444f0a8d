#include "config/inotify_watcher.h"

#include <sys/inotify.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>

#include "common/unique_fd.h"

namespace zmesh::config {

struct InotifyWatcher::Reader : std::enable_shared_from_this<Reader> {
  Reader(boost::asio::io_context& io, int fd, OnEvent cb)
      : stream(io, fd), on_event(std::move(cb)) {}

  void read() {
    stream.async_read_some(boost::asio::buffer(buffer),
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, size_t n) {
    if (closed || ec == boost::asio::error::operation_aborted) return;
    if (ec) {
      // Reported as an overflow: the owner rescans; further reads would fail the same way.
      on_event("", IN_Q_OVERFLOW);
      return;
    }
    // Events are packed: header, then `len` bytes of NUL-padded name.
    size_t offset = 0;
    while (offset + sizeof(inotify_event) <= n) {
      inotify_event header;
      std::memcpy(&header, buffer.data() + offset, sizeof header);
      const char* name = buffer.data() + offset + sizeof header;
      std::string file = header.len > 0 ? std::string(name, strnlen(name, header.len)) : "";
      offset += sizeof header + header.len;
      on_event(file, header.mask);
      if (closed) return;  // the callback may have destroyed the watcher
    }
    read();
  }

  boost::asio::posix::stream_descriptor stream;
  OnEvent on_event;
  bool closed = false;
  alignas(inotify_event) std::array<char, 16 * 1024> buffer{};
};

InotifyWatcher::~InotifyWatcher() {
  if (!reader_) return;
  // on_event stays (it may be running now); `closed` keeps it from being called again.
  reader_->closed = true;
  boost::system::error_code ignored;
  reader_->stream.close(ignored);
}

Result<void> InotifyWatcher::watch(const std::string& dir, uint32_t mask, OnEvent on_event) {
  UniqueFd fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd) return errno_error("inotify_init1", errno);
  if (inotify_add_watch(fd.get(), dir.c_str(), mask) < 0) {
    return errno_error("inotify_add_watch " + dir, errno);
  }
  try {
    reader_ = std::make_shared<Reader>(io_, fd.get(), std::move(on_event));
    fd.release();  // the stream_descriptor owns it now
  } catch (const boost::system::system_error& e) {
    return make_error("inotify on " + dir + ": " + e.what());
  }
  reader_->read();
  return ok();
}

}  // namespace zmesh::config
