// A one-line JSON object built straight into one string: the per-request access-log line
// without a nlohmann::json tree (building and dumping that tree cost the L7 path ~5% of its
// CPU). Strings are escaped as nlohmann's dump(error_handler_t::replace) escapes them: the JSON
// escapes, other control characters as \u00XX, valid UTF-8 as is, invalid bytes as U+FFFD, so
// a peer-controlled path cannot break the line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace zmesh::telemetry {

class JsonLine {
 public:
  JsonLine() { out_.reserve(512); }

  // Keys are trusted literals (not escaped); the caller adds them in the order wanted.
  JsonLine& add(std::string_view key, std::string_view value);
  JsonLine& add(std::string_view key, const char* value) {
    return add(key, std::string_view(value));
  }
  JsonLine& add(std::string_view key, uint64_t value);

  // The object, closed ("{...}"); the builder is empty afterwards.
  std::string finish();

 private:
  void key(std::string_view k);
  std::string out_ = "{";
};

// Appends `s` as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view s);

}  // namespace zmesh::telemetry
