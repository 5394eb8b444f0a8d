#include "config/field_reader.h"

#include <charconv>

namespace zmesh::config {
namespace {

enum class ScalarType { kNull, kBool, kInt, kFloat, kString };

bool is_yaml11_bool(std::string_view s) {
  for (std::string_view b :
       {"y",    "Y",    "yes",   "Yes",   "YES",   "n",  "N",  "no", "No",  "NO",  "true",
        "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"}) {
    if (s == b) return true;
  }
  return false;
}

std::string_view skip_sign(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  return s;
}

bool all_of(std::string_view s, std::string_view allowed) {
  return !s.empty() && s.find_first_not_of(allowed) == std::string_view::npos;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_yaml11_int(std::string_view s) {
  s = skip_sign(s);
  if (s.starts_with("0b")) return all_of(s.substr(2), "01_");
  if (s.starts_with("0x")) return all_of(s.substr(2), "0123456789abcdefABCDEF_");
  return !s.empty() && is_digit(s[0]) && all_of(s, "0123456789_");
}

bool is_yaml11_float(std::string_view s) {
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return true;
  s = skip_sign(s);
  if (s == ".inf" || s == ".Inf" || s == ".INF") return true;
  size_t i = 0;
  size_t digits = 0;
  while (i < s.size() && (is_digit(s[i]) || (i > 0 && s[i] == '_'))) digits += is_digit(s[i++]);
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && (is_digit(s[i]) || s[i] == '_')) digits += is_digit(s[i++]);
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::string_view exp = skip_sign(s.substr(i + 1));
    return all_of(exp, "0123456789");
  }
  return i == s.size();
}

// The type the Kubernetes YAML decoder (go-yaml v2, YAML 1.1 rules) gives a scalar.
ScalarType scalar_type(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return ScalarType::kString;  // quoted
  const std::string& s = node.Scalar();
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return ScalarType::kNull;
  if (is_yaml11_bool(s)) return ScalarType::kBool;
  if (is_yaml11_int(s)) return ScalarType::kInt;
  if (is_yaml11_float(s)) return ScalarType::kFloat;
  return ScalarType::kString;
}

}  // namespace

std::string FieldReader::type_name() const {
  if (!node_.IsDefined() || node_.IsNull()) return "null";
  if (node_.IsMap()) return "an object";
  if (node_.IsSequence()) return "a list";
  switch (scalar_type(node_)) {
    case ScalarType::kNull:
      return "null";
    case ScalarType::kBool:
      return "a boolean " + node_.Scalar();
    case ScalarType::kInt:
    case ScalarType::kFloat:
      return "a number " + node_.Scalar();
    case ScalarType::kString:
      break;
  }
  return "a string " + quote(node_.Scalar());
}

bool FieldReader::is_map() const {
  if (!present()) return false;
  if (node_.IsMap()) return true;
  error("must be an object, got " + type_name());
  return false;
}

FieldReader FieldReader::field(std::string_view key) const {
  std::string child_path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  if (!node_.IsMap())
    return FieldReader(YAML::Node(YAML::NodeType::Undefined), child_path, *errors_);
  return FieldReader(node_[std::string(key)], std::move(child_path), *errors_);
}

bool FieldReader::is_integer() const {
  return present() && node_.IsScalar() && scalar_type(node_) == ScalarType::kInt;
}

std::optional<std::string> FieldReader::string() const {
  if (!present()) return std::nullopt;
  if (node_.IsScalar() && scalar_type(node_) == ScalarType::kString) return node_.Scalar();
  std::string hint = node_.IsScalar() ? " (quote it)" : "";
  error("must be a string, got " + type_name() + hint);
  return std::nullopt;
}

std::optional<int64_t> FieldReader::integer() const {
  if (!present()) return std::nullopt;
  if (node_.IsScalar() && scalar_type(node_) == ScalarType::kInt) {
    // Decimal only in practice; other bases are legal YAML but unusual here.
    const std::string& s = node_.Scalar();
    const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), value);
    if (ec == std::errc() && ptr == s.data() + s.size()) return value;
    error("must be a decimal integer in range, got " + s);
    return std::nullopt;
  }
  error("must be an integer, got " + type_name());
  return std::nullopt;
}

std::optional<bool> FieldReader::boolean() const {
  if (!present()) return std::nullopt;
  if (node_.IsScalar() && scalar_type(node_) == ScalarType::kBool) {
    const std::string& s = node_.Scalar();
    char c = s[0];
    return c == 'y' || c == 'Y' || c == 't' || c == 'T' || s == "on" || s == "On" || s == "ON";
  }
  error("must be a boolean, got " + type_name());
  return std::nullopt;
}

state::Labels FieldReader::string_map() const {
  state::Labels out;
  if (!is_map()) return out;
  for (const auto& entry : node_) {
    if (!entry.first.IsScalar()) {
      error("keys must be strings, got " + FieldReader(entry.first, "", *errors_).type_name());
      continue;
    }
    const std::string& key = entry.first.Scalar();
    FieldReader value(entry.second, path_ + "[" + key + "]", *errors_);
    if (!value.present()) {
      out[key] = "";  // null decodes as the empty string, as in Kubernetes
    } else if (auto s = value.string()) {
      out[key] = *s;
    }
  }
  return out;
}

}  // namespace zmesh::config
