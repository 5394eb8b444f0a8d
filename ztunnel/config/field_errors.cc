#include "config/field_errors.h"

#include <cstdio>

namespace zmesh::config {

std::string FieldErrors::join() const {
  std::string out;
  for (const auto& e : errors_) {
    if (!out.empty()) out += "; ";
    if (!e.path.empty()) out += e.path + ": ";
    out += e.message;
  }
  return out;
}

std::string quote(const std::string& value) {
  constexpr size_t kMaxShown = 64;
  std::string out = "\"";
  for (size_t i = 0; i < value.size() && i < kMaxShown; ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (value.size() > kMaxShown) out += "...";
  return out + "\"";
}

}  // namespace zmesh::config
