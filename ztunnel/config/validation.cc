#include "config/validation.h"

#include <string_view>

#include "config/field_errors.h"

namespace zmesh::config {
namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool is_label(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_lower_alnum(c) && c != '-') return false;
  }
  return true;
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool is_qualified_name_part(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool is_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!is_label(s.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

std::string dns1123_label_error(const std::string& value) {
  if (value.size() > 63) return quote(value) + " must be no more than 63 characters";
  if (!is_label(value)) {
    return quote(value) +
           " must be a lowercase RFC 1123 label (a-z, 0-9 and '-', starting and ending with an "
           "alphanumeric character)";
  }
  return "";
}

std::string dns1123_subdomain_error(const std::string& value) {
  if (!is_subdomain(value)) {
    return quote(value) +
           " must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-' and '.', starting and ending "
           "with an alphanumeric character, at most 253 characters)";
  }
  return "";
}

std::string dns1035_label_error(const std::string& value) {
  if (value.size() > 63) return quote(value) + " must be no more than 63 characters";
  if (!is_label(value) || !(value[0] >= 'a' && value[0] <= 'z')) {
    return quote(value) +
           " must be a lowercase RFC 1035 label (a-z, 0-9 and '-', starting with a letter and "
           "ending with an alphanumeric character)";
  }
  return "";
}

std::string iana_svc_name_error(const std::string& value) {
  if (value.size() > 15) return quote(value) + " must be no more than 15 characters";
  if (!is_label(value)) {
    return quote(value) +
           " must contain only a-z, 0-9 and '-', starting and ending with a-z or 0-9";
  }
  if (value.find("--") != std::string::npos) return quote(value) + " must not contain \"--\"";
  for (char c : value) {
    if (c >= 'a' && c <= 'z') return "";
  }
  return quote(value) + " must contain at least one letter (a-z)";
}

std::string qualified_name_error(const std::string& value) {
  std::string_view name = value;
  auto slash = name.find('/');
  if (slash != std::string_view::npos) {
    std::string_view prefix = name.substr(0, slash);
    if (!is_subdomain(prefix)) {
      return quote(value) + " has an invalid prefix: it must be a lowercase RFC 1123 subdomain";
    }
    name = name.substr(slash + 1);
  }
  if (name.size() > 63) return quote(value) + " has a name part longer than 63 characters";
  if (!is_qualified_name_part(name)) {
    return quote(value) +
           " must be a qualified name (alphanumerics, '-', '_' or '.', starting and ending with "
           "an alphanumeric character, with an optional DNS subdomain prefix and '/')";
  }
  return "";
}

std::string label_value_error(const std::string& value) {
  if (value.empty()) return "";
  if (value.size() > 63) return quote(value) + " must be no more than 63 characters";
  if (!is_qualified_name_part(value)) {
    return quote(value) +
           " must be empty or consist of alphanumerics, '-', '_' or '.', starting and ending "
           "with an alphanumeric character";
  }
  return "";
}

std::string protocol_error(const std::string& value) {
  if (value == "TCP" || value == "UDP" || value == "SCTP") return "";
  return quote(value) + " is not a supported protocol (TCP, UDP or SCTP)";
}

std::optional<state::IpAddress> parse_ip(const std::string& value) {
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(value, ec);
  if (ec || (ip.is_v6() && ip.to_v6().scope_id() != 0)) return std::nullopt;
  return ip;
}

}  // namespace zmesh::config
