#include "telemetry/json_line.h"

#include <charconv>

namespace zmesh::telemetry {
namespace {

// The UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates, at most U+10FFFF): its
// length when valid; otherwise the bytes to replace with one U+FFFD (the lead byte and the
// continuation bytes accepted before the error), as nlohmann's decoder does.
struct Utf8 {
  size_t length;
  bool valid;
};
Utf8 utf8_sequence(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0xC2 || c > 0xF4) return {1, false};
  size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  for (size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) return {k, false};
    unsigned char b = static_cast<unsigned char>(s[i + k]);
    if (b < lo || b > hi) return {k, false};
    lo = 0x80, hi = 0xBF;
  }
  return {n, true};
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  size_t plain = 0;  // start of the run of bytes copied as they are
  auto flush = [&](size_t end) { out.append(s.data() + plain, end - plain); };
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      Utf8 seq = utf8_sequence(s, i);
      if (seq.valid) {
        i += seq.length;
        continue;
      }
      flush(i);
      out += "\xEF\xBF\xBD";  // U+FFFD
      plain = i += seq.length;
      continue;
    }
    flush(i);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      }
    }
    plain = ++i;
  }
  flush(s.size());
  out += '"';
}

void JsonLine::key(std::string_view k) {
  if (out_.size() > 1) out_ += ',';
  out_ += '"';
  out_ += k;
  out_ += "\":";
}

JsonLine& JsonLine::add(std::string_view k, std::string_view value) {
  key(k);
  append_json_string(out_, value);
  return *this;
}

JsonLine& JsonLine::add(std::string_view k, uint64_t value) {
  key(k);
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  out_.append(buf, end);
  return *this;
}

std::string JsonLine::finish() {
  out_ += '}';
  std::string done = std::move(out_);
  out_ = "{";
  return done;
}

}  // namespace zmesh::telemetry
