#include "telemetry/access_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>

#include "common/unique_fd.h"

namespace zmesh::telemetry {

std::string access_log_timestamp() {
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

namespace {

void write_all(int fd, const std::string& bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere better to report it; never block or throw on the data path
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

struct AccessLog::Impl {
  std::mutex mu;  // guards pending, stop (held only to append or swap)
  std::condition_variable wake;
  std::string pending;
  bool stop = false;
  std::mutex write_mu;  // one writer at a time, so chunks reach the file in order
  UniqueFd owned;       // empty for stdout/stderr, which we must not close
  int fd = STDOUT_FILENO;
  std::thread flusher;

  void write_out() {
    std::lock_guard writing(write_mu);
    std::string chunk;
    {
      std::lock_guard lock(mu);
      chunk.swap(pending);
    }
    if (!chunk.empty()) write_all(fd, chunk);
  }

  void run() {
    std::unique_lock lock(mu);
    while (!stop) {
      wake.wait_for(lock, kFlushInterval, [&] { return stop || pending.size() >= kFlushBytes; });
      lock.unlock();
      write_out();
      lock.lock();
    }
  }

  void start() {
    flusher = std::thread([this] { run(); });
  }
  ~Impl() {
    if (flusher.joinable()) {
      {
        std::lock_guard lock(mu);
        stop = true;
      }
      wake.notify_one();
      flusher.join();
    }
    write_out();
  }
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

AccessLog::AccessLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->start();
}

AccessLog::AccessLog(const std::string& path) {
  auto opened = open(path);
  if (opened) {
    impl_ = std::move(opened.value()->impl_);
    return;
  }
  spdlog::error("{}; writing the access log to stderr", opened.error().message);
  impl_ = std::make_unique<Impl>();
  impl_->fd = STDERR_FILENO;
  impl_->start();
}

AccessLog::~AccessLog() = default;

void AccessLog::write(nlohmann::json record) {
  if (!record.is_object()) record = nlohmann::json{{"message", std::move(record)}};
  if (!record.contains("timestamp")) record["timestamp"] = access_log_timestamp();
  // `replace`: a peer-controlled string with invalid UTF-8 must not throw on the data path.
  write_line(record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void AccessLog::write_line(std::string line) {
  line += '\n';
  bool full = false;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->pending.size() + line.size() > kMaxPending) return;  // the file is stuck
    impl_->pending += line;
    full = impl_->pending.size() >= kFlushBytes;
  }
  if (full) impl_->wake.notify_one();
}

void AccessLog::flush() {
  impl_->write_out();
}

}  // namespace zmesh::telemetry
