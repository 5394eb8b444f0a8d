#include "telemetry/access_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "common/unique_fd.h"

namespace zmesh::telemetry {
namespace {

std::string rfc3339_now() {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch());
  std::time_t secs = static_cast<std::time_t>(us.count() / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(us.count() % 1000000));
  return buf;
}

}  // namespace

struct AccessLog::Impl {
  std::mutex mu;
  UniqueFd owned;  // empty for stdout/stderr, which we must not close
  int fd = STDOUT_FILENO;
};

Result<std::unique_ptr<AccessLog>> AccessLog::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  if (path != "-") {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return errno_error("cannot open access log " + path, errno);
    impl->owned.reset(fd);
    impl->fd = fd;
  }
  return std::unique_ptr<AccessLog>(new AccessLog(std::move(impl)));
}

AccessLog::AccessLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AccessLog::AccessLog(const std::string& path) {
  auto opened = open(path);
  if (opened) {
    impl_ = std::move(opened.value()->impl_);
    return;
  }
  spdlog::error("{}; writing the access log to stderr", opened.error().message);
  impl_ = std::make_unique<Impl>();
  impl_->fd = STDERR_FILENO;
}

AccessLog::~AccessLog() = default;

void AccessLog::write(nlohmann::json record) {
  if (!record.is_object()) record = nlohmann::json{{"message", std::move(record)}};
  if (!record.contains("timestamp")) record["timestamp"] = rfc3339_now();
  // `replace`: a peer-controlled string with invalid UTF-8 must not throw on the data path.
  std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';

  std::lock_guard lock(impl_->mu);
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(impl_->fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere better to report it; never block or throw on the data path
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace zmesh::telemetry
