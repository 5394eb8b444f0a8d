// Watches one directory with inotify on an io_context: the fd is wrapped in a
// stream_descriptor and read asynchronously; each event is reported by file name.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"

namespace zmesh::config {

class InotifyWatcher {
 public:
  // `name` is empty for events about the directory itself (IN_Q_OVERFLOW, IN_IGNORED,
  // IN_DELETE_SELF, ...).
  using OnEvent = std::function<void(const std::string& name, uint32_t mask)>;

  explicit InotifyWatcher(boost::asio::io_context& io) : io_(io) {}
  ~InotifyWatcher();
  InotifyWatcher(const InotifyWatcher&) = delete;
  InotifyWatcher& operator=(const InotifyWatcher&) = delete;

  // Starts watching `dir` for `mask` (IN_* flags); events arrive on the io_context.
  Result<void> watch(const std::string& dir, uint32_t mask, OnEvent on_event);

 private:
  struct Reader;  // shared with pending reads so it outlives a cancelled one
  boost::asio::io_context& io_;
  std::shared_ptr<Reader> reader_;
};

}  // namespace zmesh::config
