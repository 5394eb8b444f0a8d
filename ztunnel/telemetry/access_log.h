// Access log: one JSON line per finished connection (ztunnel's "connection complete").
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"

namespace zmesh::telemetry {

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

  // Thread-safe; adds "timestamp" (RFC 3339, UTC, microseconds) unless the record has one,
  // and writes `record` as one line with a single write(2), so lines never interleave.
  void write(nlohmann::json record);

 private:
  struct Impl;
  explicit AccessLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zmesh::telemetry
