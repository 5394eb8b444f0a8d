#include "rbac/request_path.h"

#include <vector>

#include "rbac/istio_string_match.h"

namespace zmesh::rbac {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// RFC 3986 5.2.4 on an absolute path.
std::string remove_dot_segments(std::string_view in) {
  std::vector<std::string_view> out;
  bool trailing_slash = false;
  size_t i = 1;  // past the leading '/'
  while (i <= in.size()) {
    size_t end = in.find('/', i);
    if (end == std::string_view::npos) end = in.size();
    std::string_view seg = in.substr(i, end - i);
    bool last = end == in.size();
    if (seg == ".") {
      trailing_slash = last;
    } else if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing_slash = last;
    } else {
      out.push_back(seg);
      trailing_slash = false;
    }
    i = end + 1;
  }
  std::string path;
  for (auto seg : out) {
    path += '/';
    path += seg;
  }
  if (trailing_slash || path.empty()) path += '/';
  return path;
}

std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = path.starts_with('/') ? 1 : 0;
  while (i <= path.size()) {
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

// One template segment ("{*}", "v1", "{*}.json") against one path segment.
bool segment_matches(std::string_view pattern, std::string_view seg) {
  auto star = pattern.find("{*}");
  if (star == std::string_view::npos) return pattern == seg;
  std::string_view head = pattern.substr(0, star), tail = pattern.substr(star + 3);
  if (seg.size() < head.size() + tail.size() + 1) return false;  // {*}: at least one char
  if (!seg.starts_with(head)) return false;
  seg.remove_prefix(head.size());
  // The rest may hold further {*}: try every split (segments are short).
  for (size_t n = 1; n <= seg.size(); ++n)
    if (seg.substr(0, n).find('/') == std::string_view::npos &&
        segment_matches(tail, seg.substr(n)))
      return true;
  return false;
}

}  // namespace

Result<std::string> normalize_path(std::string_view raw) {
  auto cut = raw.find_first_of("?#");
  std::string_view path = raw.substr(0, cut);
  if (!path.starts_with('/'))
    return make_error("path \"" + std::string(path) + "\" is not absolute");
  std::string decoded;
  decoded.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c != '%') {
      decoded += c;
      continue;
    }
    int hi = i + 1 < path.size() ? hex_value(path[i + 1]) : -1;
    int lo = i + 2 < path.size() ? hex_value(path[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return make_error("malformed percent-encoding in path \"" + std::string(path) + "\"");
    auto byte = static_cast<unsigned char>(hi * 16 + lo);
    if (unreserved(byte)) {
      decoded += static_cast<char>(byte);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      decoded += '%';
      decoded += kHex[hi];
      decoded += kHex[lo];
    }
    i += 2;
  }
  return remove_dot_segments(decoded);
}

bool is_path_template(std::string_view pattern) {
  return pattern.find("{*}") != std::string_view::npos ||
         pattern.find("{**}") != std::string_view::npos;
}

bool path_template_matches(std::string_view pattern, std::string_view path) {
  auto pat = split_segments(pattern), segs = split_segments(path);
  for (size_t i = 0; i < pat.size(); ++i) {
    if (pat[i] == "{**}") return true;  // validation keeps it last: the rest, any depth
    if (i >= segs.size() || !segment_matches(pat[i], segs[i])) return false;
  }
  return pat.size() == segs.size();
}

bool path_matches(std::string_view pattern, std::string_view path) {
  if (is_path_template(pattern)) return path_template_matches(pattern, path);
  return istio_string_matches(pattern, path);
}

}  // namespace zmesh::rbac
