#include "bpf/libbpf_log.h"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <string>

namespace zmesh::bpf {
namespace {

int print_to_spdlog(enum libbpf_print_level level, const char* format, va_list args) {
  if (level != LIBBPF_WARN) return 0;  // info/debug are per-object chatter
  va_list copy;
  va_copy(copy, args);
  int len = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (len <= 0) return 0;
  std::string text(static_cast<size_t>(len) + 1, '\0');
  std::vsnprintf(text.data(), text.size(), format, args);
  text.resize(static_cast<size_t>(len));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  spdlog::warn("{}", text);  // libbpf prefixes its own messages
  return len;
}

}  // namespace

void route_libbpf_logs_to_spdlog() {
  libbpf_set_print(print_to_spdlog);
}

}  // namespace zmesh::bpf
