// Access log: one JSON line per finished connection (ztunnel's "connection complete").
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace zmesh::telemetry {

class AccessLog {
 public:
  // path "-" writes to stdout; otherwise appends to the file.
  explicit AccessLog(const std::string& path);
  ~AccessLog();
  // Thread-safe; adds "timestamp" and writes `record` as one line.
  void write(nlohmann::json record);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zmesh::telemetry
