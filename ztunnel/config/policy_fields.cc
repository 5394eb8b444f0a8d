#include "config/policy_fields.h"

#include <algorithm>
#include <charconv>

#include "config/kind_decoders.h"
#include "config/validation.h"

namespace zmesh::config {
namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The CRD's kind pattern: ^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$, at most 63 characters.
bool is_kind(const std::string& s) {
  if (s.empty() || s.size() > 63 || !is_alpha(s.front())) return false;
  if (!is_alpha(s.back()) && !is_digit(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; });
}

// The kinds a policy may target (Istio's allowedTargetRefs), by group ("" is core).
bool allowed_target(const std::string& group, const std::string& kind) {
  const std::string canonical = group.empty() ? "core" : group;
  return (canonical == "core" && kind == "Service") ||
         (canonical == "networking.istio.io" && kind == "ServiceEntry") ||
         (canonical == "gateway.networking.k8s.io" &&
          (kind == "Gateway" || kind == "GatewayClass"));
}

std::optional<state::PolicyTargetReference> decode_target_ref(const FieldReader& field) {
  if (!field.is_map()) return std::nullopt;  // absent or null: no reference
  state::PolicyTargetReference ref;
  FieldReader group = field.field("group");
  ref.group = group.string().value_or("");
  if (!ref.group.empty()) {
    if (auto err = dns1123_subdomain_error(ref.group); !err.empty()) group.error(err);
  }
  FieldReader kind = field.field("kind");
  auto kind_text = kind.string();
  ref.kind = kind_text.value_or("");
  if (!kind.present()) {
    kind.error("required");
  } else if (kind_text && !is_kind(ref.kind)) {
    kind.error(quote(ref.kind) +
               " is not a valid kind (a letter, then letters, digits or '-', "
               "at most 63 characters)");
  }
  FieldReader name = field.field("name");
  auto name_text = name.string();
  ref.name = name_text.value_or("");
  if (!name.present()) {
    name.error("required");
  } else if (name_text && name_text->empty()) {
    name.error("must not be empty");
  } else if (ref.name.size() > 253) {
    name.error("must be no more than 253 characters");
  }
  FieldReader ns = field.field("namespace");
  ref.namespace_ = ns.string().value_or("");
  if (!ref.namespace_.empty()) {
    ns.error("must not be set: cross-namespace references are not supported");
  }
  if (is_kind(ref.kind) && !allowed_target(ref.group, ref.kind)) {
    kind.error(
        "must be Service, ServiceEntry (networking.istio.io), or Gateway or GatewayClass "
        "(gateway.networking.k8s.io); got " +
        quote(ref.group.empty() ? ref.kind : ref.group + "/" + ref.kind));
  }
  return ref;
}

}  // namespace

PolicyScope decode_policy_scope(const FieldReader& spec) {
  PolicyScope scope;
  FieldReader selector = spec.field("selector");
  if (selector.is_map()) scope.selector = decode_label_map(selector.field("matchLabels"));
  FieldReader target_ref = spec.field("targetRef");
  scope.target_ref = decode_target_ref(target_ref);
  FieldReader target_refs = spec.field("targetRefs");
  target_refs.each([&](const FieldReader& item) {
    if (!item.present()) {
      item.error("must be an object, got null");
    } else if (auto ref = decode_target_ref(item)) {
      scope.target_refs.push_back(std::move(*ref));
    }
  });
  if (target_refs.size() > 16) target_refs.error("must have at most 16 items");
  int set =
      (scope.selector ? 1 : 0) + (scope.target_ref ? 1 : 0) + (scope.target_refs.empty() ? 0 : 1);
  if (set > 1) spec.error("only one of selector, targetRef or targetRefs may be set");
  return scope;
}

std::vector<std::string> read_strings(const FieldReader& field, const ItemCheck& check,
                                      size_t max_items) {
  std::vector<std::string> out;
  field.each([&](const FieldReader& item) {
    if (!item.present()) {
      item.error("must be a string, got null");
      return;
    }
    auto value = item.string();
    if (!value) return;
    if (check) {
      if (auto err = check(*value); !err.empty()) item.error(err);
    }
    out.push_back(std::move(*value));
  });
  if (max_items != 0 && field.size() > max_items) {
    field.error("must have at most " + std::to_string(max_items) + " items");
  }
  return out;
}

std::string empty_item_error(const std::string& value) {
  return value.empty() ? "must not be empty" : "";
}

std::string ip_block_error(const std::string& value) {
  if (value.empty()) return "must not be empty";
  if (state::IpBlock::parse(value)) return "";
  if (value.find('/') != std::string::npos) return quote(value) + " is not a valid CIDR range";
  return quote(value) + " is not a valid IP address";
}

std::optional<uint16_t> parse_policy_port(const std::string& value) {
  uint32_t port = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || port > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(port);
}

std::string service_account_error(const std::string& value) {
  if (value.empty()) return "must not be empty";
  if (value.find('*') != std::string::npos) return quote(value) + ": wildcards are not allowed";
  if (value.size() > 320) return quote(value) + " must be no more than 320 characters";
  auto slashes = std::count(value.begin(), value.end(), '/');
  auto slash = value.find('/');
  if (slashes > 1 || (slashes == 1 && (slash == 0 || slash == value.size() - 1))) {
    return quote(value) + " must be 'serviceAccount' or 'namespace/serviceAccount'";
  }
  return "";
}

std::optional<bool> parse_go_bool(const std::string& value) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (value == t) return true;
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (value == f) return false;
  }
  return std::nullopt;
}

}  // namespace zmesh::config
