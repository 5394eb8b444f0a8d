#include "config/istio_fields.h"

#include <re2/re2.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "config/validation.h"

namespace zmesh::config {
namespace {

using namespace std::chrono_literals;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Istio's DNS-1123 label (agent.IsDNS1123Label): letters of either case, digits, '-'.
bool istio_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

// "*", "*foo", "*-foo" or a label (IsWildcardDNS1123Label).
bool wildcard_label(std::string_view s) {
  if (s.size() > 63) return false;
  if (s == "*") return true;
  if (s.starts_with("*-")) return istio_label(s.substr(2));
  if (s.starts_with("*")) return istio_label(s.substr(1));
  return istio_label(s);
}

std::string preconditions_error(const std::string& host) {
  if (host.size() > 255) return "domain name " + quote(host) + " too long (max 255)";
  if (host.empty()) return "empty domain name not allowed";
  return "";
}

// ValidateDNS1123Labels: labels, a trailing dot allowed, the top-level domain not numeric.
std::string labels_error(const std::string& whole, std::string_view domain) {
  std::string_view tld =
      domain.substr(domain.rfind('.') == std::string_view::npos ? 0 : domain.rfind('.') + 1);
  if (!tld.empty() && tld.find_first_not_of("0123456789") == std::string_view::npos) {
    return "domain name " + quote(whole) + " invalid (top level domain " + quote(std::string(tld)) +
           " cannot be all-numeric)";
  }
  size_t start = 0;
  while (true) {
    size_t dot = domain.find('.', start);
    std::string_view label = domain.substr(start, dot - start);
    if (dot == std::string_view::npos && label.empty()) return "";  // "istio.io."
    if (!istio_label(label)) {
      return "domain name " + quote(whole) + " invalid (label " + quote(std::string(label)) +
             " invalid)";
    }
    if (dot == std::string_view::npos) return "";
    start = dot + 1;
  }
}

std::string lower(const std::string& s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool header_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_alnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

// "@request.auth.claims.a.b" or "@request.auth.claims[a][b]" (JWT claim routing).
bool jwt_claim_key(std::string_view s) {
  constexpr std::string_view kPrefix = "@request.auth.claims";
  if (!s.starts_with(kPrefix)) return false;
  s.remove_prefix(kPrefix.size());
  if (s.starts_with(".")) {
    s.remove_prefix(1);
    return !s.empty() && !s.starts_with(".") && !s.ends_with(".") &&
           s.find("..") == std::string_view::npos;
  }
  if (s.empty()) return false;
  while (!s.empty()) {
    size_t close = s.find(']');
    if (s[0] != '[' || close == std::string_view::npos || close < 2) return false;
    s.remove_prefix(close + 1);
  }
  return true;
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_istio_duration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return std::nullopt;
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    long double value = 0;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + (s[i++] - '0');
      ++digits;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        value += (s[i++] - '0') * scale;
        scale /= 10;
        ++digits;
      }
    }
    if (digits == 0) return std::nullopt;
    size_t unit_end = i;
    while (unit_end < s.size() && !(s[unit_end] >= '0' && s[unit_end] <= '9') &&
           s[unit_end] != '.') {
      ++unit_end;
    }
    std::string_view unit = s.substr(i, unit_end - i);
    long double ns;
    if (unit == "ns")
      ns = 1;
    else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs")
      ns = 1e3L;
    else if (unit == "ms")
      ns = 1e6L;
    else if (unit == "s")
      ns = 1e9L;
    else if (unit == "m")
      ns = 60e9L;
    else if (unit == "h")
      ns = 3600e9L;
    else
      return std::nullopt;
    total += value * ns;
    s.remove_prefix(unit_end);
  }
  if (total > 9.2e18L) return std::nullopt;  // int64 nanoseconds, as in Go
  auto ns = static_cast<int64_t>(std::llround(total));
  return std::chrono::nanoseconds(negative ? -ns : ns);
}

std::optional<state::Duration> read_duration(const FieldReader& field, DurationMin min) {
  auto text = field.string();
  if (!text) return std::nullopt;
  auto d = parse_istio_duration(*text);
  if (!d) {
    field.error(quote(*text) + " is not a duration (like \"1.5s\", \"100ms\" or \"1h\")");
    return std::nullopt;
  }
  if (min == DurationMin::kOneMs && *d < std::chrono::milliseconds(1)) {
    field.error("must be >= 1ms, got " + quote(*text));
    return std::nullopt;
  }
  if (*d < std::chrono::nanoseconds(0)) {
    field.error("must be >= 0, got " + quote(*text));
    return std::nullopt;
  }
  if (*d % std::chrono::milliseconds(1) != std::chrono::nanoseconds(0)) {
    field.error("only durations to ms precision are supported, got " + quote(*text));
    return std::nullopt;
  }
  return std::chrono::duration_cast<state::Duration>(*d);
}

std::optional<double> read_double(const FieldReader& field) {
  if (!field.present()) return std::nullopt;
  const YAML::Node& node = field.node();
  if (field.is_integer()) return static_cast<double>(*field.integer());
  bool quoted = node.IsScalar() && (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str");
  if (node.IsScalar() && !quoted) {
    std::string s = node.Scalar();
    const char* begin = s.data() + (s.starts_with("+") ? 1 : 0);
    double value = 0;
    auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), value);
    if (ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(value)) return value;
  }
  field.error("must be a number, got " + field.type_name());
  return std::nullopt;
}

std::optional<int64_t> read_int(const FieldReader& field, int64_t min, int64_t max) {
  auto value = field.integer();
  if (!value) return std::nullopt;
  if (*value < min) {
    field.error("must be >= " + std::to_string(min) + ", got " + std::to_string(*value));
    return std::nullopt;
  }
  if (*value > max) {
    field.error("must be <= " + std::to_string(max) + ", got " + std::to_string(*value));
    return std::nullopt;
  }
  return value;
}

std::optional<int32_t> read_int32_non_negative(const FieldReader& field) {
  auto v = read_int(field, 0, INT32_MAX);
  return v ? std::optional<int32_t>(static_cast<int32_t>(*v)) : std::nullopt;
}

std::optional<uint32_t> read_uint32(const FieldReader& field) {
  auto v = read_int(field, 0, UINT32_MAX);
  return v ? std::optional<uint32_t>(static_cast<uint32_t>(*v)) : std::nullopt;
}

std::optional<uint32_t> read_port_number(const FieldReader& field) {
  auto v = field.integer();
  if (!v || *v == 0) return std::nullopt;
  if (*v < 1 || *v > 65535) {
    field.error("must be a port number 1-65535, got " + std::to_string(*v));
    return std::nullopt;
  }
  return static_cast<uint32_t>(*v);
}

std::optional<double> read_percent(const FieldReader& percent) {
  if (!percent.is_map()) return std::nullopt;
  FieldReader value = percent.field("value");
  if (!value.present()) return 0.0;  // proto3: an absent double is 0
  auto v = read_double(value);
  if (!v) return std::nullopt;
  if (*v < 0 || *v > 100 || (*v > 0 && *v < 0.0001)) {
    value.error("must be 0 or within [0.0001, 100], got " + value.node().Scalar());
    return std::nullopt;
  }
  return v;
}

std::vector<std::string> read_string_list(const FieldReader& field) {
  std::vector<std::string> out;
  field.each([&](const FieldReader& item) {
    if (auto s = item.string()) out.push_back(*s);
  });
  return out;
}

std::string re2_error(const std::string& regex) {
  if (regex.size() > 1024) return "regex is too large, max length allowed is 1024";
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(regex, options);
  if (re.ok()) return "";
  return quote(regex) + " is not a valid RE2 regex: " + re.error();
}

std::optional<state::StringMatch> read_string_match(const FieldReader& field, bool* empty) {
  if (empty != nullptr) *empty = false;
  if (!field.is_map()) return std::nullopt;
  using Kind = state::StringMatch::Kind;
  std::optional<state::StringMatch> out;
  int set = 0;
  for (auto [key, kind] : {std::pair{"exact", Kind::kExact}, std::pair{"prefix", Kind::kPrefix},
                           std::pair{"regex", Kind::kRegex}}) {
    FieldReader value = field.field(key);
    if (!value.node().IsDefined()) continue;
    ++set;
    auto s = value.string();
    if (!s) continue;
    if (kind == Kind::kRegex) {
      std::string problem = s->empty() ? "regex string match should not be empty" : re2_error(*s);
      if (!problem.empty()) {
        value.error(problem);
        continue;
      }
    }
    out = state::StringMatch{kind, *s};
  }
  if (set > 1) {
    field.error("only one of exact, prefix or regex may be set");
    return std::nullopt;
  }
  if (set == 0 && empty != nullptr) *empty = true;
  return out;
}

std::string wildcard_domain_error(const std::string& host) {
  if (auto e = preconditions_error(host); !e.empty()) return e;
  size_t dot = host.find('.');
  std::string_view first = std::string_view(host).substr(0, dot);
  if (!wildcard_label(first)) {
    return "domain name " + quote(host) + " invalid (label " + quote(std::string(first)) +
           " invalid)";
  }
  if (dot == std::string::npos) return "";
  return labels_error(host, std::string_view(host).substr(dot + 1));
}

std::string fqdn_error(const std::string& host) {
  if (auto e = preconditions_error(host); !e.empty()) return e;
  return labels_error(host, host);
}

bool istio_dns1123_label(const std::string& value) {
  return istio_label(value);
}

bool host_subset_of(const std::string& a, const std::string& b) {
  bool a_wild = a.starts_with("*");
  bool b_wild = b.starts_with("*");
  if (a_wild) return b_wild && std::string_view(a).substr(1).ends_with(b.substr(1));
  if (b_wild) return std::string_view(a).ends_with(b.substr(1));
  return a == b;
}

std::vector<std::string> read_export_to(const FieldReader& field, const std::string& namespace_,
                                        bool has_workload_selector) {
  std::vector<std::string> out;
  std::set<std::string> seen;  // "." counts as the own namespace
  field.each([&](const FieldReader& item) {
    auto e = item.string();
    if (!e) return;
    out.push_back(*e);
    std::string key = *e == "." ? namespace_ : *e;
    if (!seen.insert(key).second) {
      item.error(key != *e ? "duplicate entries in exportTo: . and current namespace " + namespace_
                           : "duplicate entries in exportTo for entry " + *e);
    } else if (*e == "~") {
      item.error("exportTo ~ (none) is not allowed for Istio configuration objects");
    } else if (*e != "*" && *e != "." && !dns1123_label_error(*e).empty()) {
      item.error("only ., * or a valid DNS 1123 label is allowed as exportTo entry, got " +
                 quote(*e));
    }
  });
  if (seen.count("*") && out.size() > 1) {
    field.error("cannot have both public (*) and non-public exportTo values for a resource");
  }
  if (has_workload_selector && !out.empty()) {
    if (!seen.count(namespace_)) {
      field.error(
          "destination rule with workload selector cannot have exportTo beyond current namespace");
    } else if (seen.size() > 1) {
      field.error(
          "destination rule with workload selector cannot have multiple entries in "
          "exportTo");
    }
  }
  return out;
}

std::vector<std::string> read_gateway_names(const FieldReader& field) {
  std::vector<std::string> out;
  field.each([&](const FieldReader& item) {
    auto name = item.string();
    if (!name) return;
    out.push_back(*name);
    size_t slash = name->find('/');
    if (slash == std::string::npos) {
      if (auto e = fqdn_error(*name); !e.empty()) item.error(e);
      return;
    }
    std::string ns = name->substr(0, slash);
    std::string gw = name->substr(slash + 1);
    if (ns.empty() || gw.empty()) {
      item.error("config namespace and gateway name cannot be empty");
    } else if (!dns1123_label_error(ns).empty()) {
      item.error("invalid value for namespace: " + quote(ns));
    } else if (!dns1123_label_error(gw).empty()) {
      item.error("invalid value for gateway name: " + quote(gw));
    }
  });
  return out;
}

std::vector<std::string> read_subnets(const FieldReader& field) {
  std::vector<std::string> out;
  field.each([&](const FieldReader& item) {
    auto text = item.string();
    if (!text) return;
    size_t slash = text->find('/');
    auto ip = parse_ip(text->substr(0, slash));
    bool ok = ip.has_value();
    if (ok && slash != std::string::npos) {
      std::string len = text->substr(slash + 1);
      int bits = -1;
      auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
      ok = !len.empty() && ec == std::errc() && ptr == len.data() + len.size() && bits >= 0 &&
           bits <= (ip->is_v4() ? 32 : 128);
    }
    if (!ok) {
      item.error(quote(*text) + " is not a valid IP address or CIDR");
      return;
    }
    out.push_back(*text);
  });
  return out;
}

std::string match_header_name_error(const std::string& name) {
  if (name.empty()) return "header name cannot be empty";
  if (name.starts_with("@")) {
    return jwt_claim_key(name) ? "" : "invalid JWT claim key " + quote(name);
  }
  std::string_view token = name;
  if (token.starts_with(":")) token.remove_prefix(1);  // pseudo-headers (:method, ...)
  return header_token(token) ? "" : "header name " + quote(name) + " is not a valid header name";
}

std::string cors_header_name_error(const std::string& name) {
  if (name.empty()) return "header name cannot be empty";
  return header_token(name) ? "" : "header name " + quote(name) + " is not a valid header name";
}

std::string header_set_name_error(const std::string& name) {
  if (name.empty()) return "header name cannot be empty";
  if (lower(name) == ":authority" || lower(name) == "host") return "";  // a host rewrite
  if (name.starts_with(":"))
    return "invalid header " + quote(name) + ": header cannot have \":\" prefix";
  return header_token(name) ? "" : "header name " + quote(name) + " is not a valid header name";
}

std::string header_remove_name_error(const std::string& name) {
  if (name.empty()) return "header name cannot be empty";
  if (lower(name) == "host") return "invalid header " + quote(name) + ": cannot set Host header";
  if (name.starts_with(":"))
    return "invalid header " + quote(name) + ": header cannot have \":\" prefix";
  return header_token(name) ? "" : "header name " + quote(name) + " is not a valid header name";
}

}  // namespace zmesh::config
