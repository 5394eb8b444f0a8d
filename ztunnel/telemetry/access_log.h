// Access log: one JSON line per finished connection (ztunnel's "connection complete") and per
// L7 request. Lines are buffered and written by a background thread every kFlushInterval (or
// sooner once kFlushBytes are waiting), as Envoy's file access log flushes on an interval: a
// write(2) per request cost the L7 path ~6% of its CPU.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"

namespace zmesh::telemetry {

// Now as the "timestamp" field reads: RFC 3339, UTC, microseconds.
std::string access_log_timestamp();

class AccessLog {
 public:
  // Preferred: reports a file that cannot be opened. "-" is stdout.
  static Result<std::unique_ptr<AccessLog>> open(const std::string& path);

  // path "-" writes to stdout; otherwise appends to the file (created 0644). If the file
  // cannot be opened, logs an error and writes to stderr so records are not lost.
  explicit AccessLog(const std::string& path);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  static constexpr auto kFlushInterval = std::chrono::milliseconds(100);
  static constexpr size_t kFlushBytes = 64 << 10;
  static constexpr size_t kMaxPending = 16 << 20;  // beyond: lines are dropped, never blocked on

  // Thread-safe; adds "timestamp" (RFC 3339, UTC, microseconds) unless the record has one,
  // and queues `record` as one line; lines never interleave. Never blocks on the file.
  void write(nlohmann::json record);
  // The same for a line already rendered (a complete JSON object, no newline), as the
  // per-request path builds it (json_line.h); the caller puts access_log_timestamp() in it.
  void write_line(std::string line);
  // Writes out everything queued so far (the destructor does too).
  void flush();

 private:
  struct Impl;
  explicit AccessLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zmesh::telemetry
