// security.istio.io RequestAuthentication (v1 and v1beta1 share one schema). Validation is
// Istio's (pkg/config/validation ValidateRequestAuthentication, validateJwtRule) plus the
// CRD's schema, each problem at its field path.
#include <algorithm>
#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>

#include "config/kind_decoders.h"
#include "config/policy_fields.h"

namespace zmesh::config {
namespace {

// Go's time.ParseDuration (the CRD's `duration(self)`; "1.5s", "100ms", "1m30s"), in
// nanoseconds; nullopt when malformed or beyond Go's int64 range.
std::optional<int64_t> parse_go_duration(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  struct Unit {
    std::string_view name;
    __int128 ns;
  };
  static const Unit kUnits[] = {
      {"ns", 1},           {"us", 1000},      {"\xC2\xB5s", 1000},  // micro sign
      {"\xCE\xBCs", 1000},                                          // Greek mu
      {"ms", 1000000},     {"s", 1000000000}, {"m", 60LL * 1000000000}, {"h", 3600LL * 1000000000}};
  constexpr __int128 kMax = std::numeric_limits<int64_t>::max();
  __int128 total = 0;
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  while (!s.empty()) {
    size_t i = 0;
    __int128 whole = 0;
    __int128 fraction = 0;
    __int128 scale = 1;
    bool digits = false;
    for (; i < s.size() && is_digit(s[i]); ++i, digits = true) {
      whole = whole * 10 + (s[i] - '0');
      if (whole > kMax) return std::nullopt;
    }
    if (i < s.size() && s[i] == '.') {
      for (++i; i < s.size() && is_digit(s[i]); ++i, digits = true) {
        if (scale > kMax) continue;  // digits beyond nanoseconds change nothing
        fraction = fraction * 10 + (s[i] - '0');
        scale *= 10;
      }
    }
    if (!digits) return std::nullopt;
    s.remove_prefix(i);
    const Unit* unit = nullptr;  // the longest name that matches ("ms" over "m")
    for (const auto& u : kUnits) {
      if (s.starts_with(u.name) && (!unit || u.name.size() > unit->name.size())) unit = &u;
    }
    if (!unit) return std::nullopt;
    s.remove_prefix(unit->name.size());
    total += whole * unit->ns + fraction * unit->ns / scale;
    if (total > kMax) return std::nullopt;
  }
  return static_cast<int64_t>(negative ? -total : total);
}

// jwtRules[].timeout: Istio's ValidateDuration (>= 1ms, whole milliseconds).
std::optional<state::Duration> read_timeout(const FieldReader& field) {
  auto text = field.string();
  if (!text) return std::nullopt;
  auto ns = parse_go_duration(*text);
  if (!ns) {
    field.error(quote(*text) + " is not a duration (like \"5s\" or \"500ms\")");
    return std::nullopt;
  }
  if (*ns < 1000000) {
    field.error("must be at least 1ms");
    return std::nullopt;
  }
  if (*ns % 1000000 != 0) {
    field.error("only durations to millisecond precision are supported");
    return std::nullopt;
  }
  return state::Duration(*ns / 1000000);
}

// jwksUri: what Istio's ParseJwksURI and the CRD's `url(self).getScheme() in [http, https]`
// accept: an absolute http(s) URL with a host and, if any, a numeric port.
std::string jwks_uri_error(const std::string& uri) {
  if (uri.empty()) return "must not be empty";
  if (uri.size() > 2048) return "must be no more than 2048 characters";
  auto sep = uri.find("://");
  std::string scheme = uri.substr(0, sep == std::string::npos ? 0 : sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (sep == std::string::npos || (scheme != "http" && scheme != "https")) {
    return quote(uri) + " must be an http:// or https:// URL";
  }
  for (unsigned char c : uri) {
    if (c <= 0x20 || c == 0x7f)
      return quote(uri) + " must not contain spaces or control characters";
  }
  std::string_view authority(uri);
  authority.remove_prefix(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return quote(uri) + " has an unterminated IPv6 address";
    host = authority.substr(0, close + 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return quote(uri) + " has an invalid host";
      port = rest.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return quote(uri) + " has no host";
  if (!port.empty()) {
    bool digits =
        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || port.size() > 5 || std::stoi(std::string(port)) > 65535) {
      return quote(uri) + " has an invalid port " + quote(std::string(port));
    }
  }
  return "";
}

// jwks: a JSON Web Key Set ({"keys": [...]}) or a single key, each with a "kty".
std::string jwks_error(const std::string& text) {
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return "is not a JSON Web Key Set (a JSON object)";
  auto has_kty = [](const nlohmann::json& key) {
    return key.is_object() && key.contains("kty") && key["kty"].is_string();
  };
  if (!json.contains("keys")) {
    return has_kty(json) ? "" : "is not a JSON Web Key Set: no \"keys\" and no \"kty\"";
  }
  if (!json["keys"].is_array()) return "is not a JSON Web Key Set: \"keys\" must be a list";
  for (const auto& key : json["keys"]) {
    if (!has_kty(key)) return "is not a JSON Web Key Set: every key needs a \"kty\"";
  }
  return "";
}

// Istio's ValidateStrictHTTPHeaderName: [-A-Za-z0-9]+ (stricter than the CRD's pattern).
std::string header_name_error(const std::string& name) {
  if (name.empty()) return "must not be empty";
  bool ok = std::all_of(name.begin(), name.end(),
                        [](unsigned char c) { return std::isalnum(c) || c == '-'; });
  return ok ? "" : quote(name) + " is not a valid header name (letters, digits and '-')";
}

// A required, non-empty string field of an object.
std::string required_string(const FieldReader& field) {
  if (!field.present()) {
    field.error("required");
    return "";
  }
  auto text = field.string();
  if (text && text->empty()) field.error("must not be empty");
  return text.value_or("");
}

std::optional<state::JwtRule> decode_jwt_rule(const FieldReader& f) {
  if (!f.present()) {
    f.error("must be an object, got null");
    return std::nullopt;
  }
  if (!f.is_map()) return std::nullopt;
  state::JwtRule rule;
  FieldReader issuer = f.field("issuer");
  rule.issuer = issuer.string().value_or("");
  if (issuer.present() && rule.issuer.empty() && issuer.node().IsScalar()) {
    issuer.error("must not be empty");
  }
  rule.audiences = read_strings(f.field("audiences"), empty_item_error);

  // jwksUri, its proto name jwks_uri, and jwks: at most one (the CRD's rule).
  FieldReader uri = f.field("jwksUri");
  FieldReader uri_snake = f.field("jwks_uri");
  FieldReader jwks = f.field("jwks");
  int key_sources = uri.present() + uri_snake.present() + jwks.present();
  if (key_sources > 1) f.error("only one of jwks or jwksUri can be set");
  for (const FieldReader* u : {&uri, &uri_snake}) {
    if (!u->present()) continue;
    if (auto text = u->string()) {
      if (auto err = jwks_uri_error(*text); !err.empty()) u->error(err);
      rule.jwks_uri = *text;
    }
  }
  if (auto text = jwks.string()) {
    if (auto err = jwks_error(*text); !err.empty()) jwks.error(err);
    rule.jwks = *text;
  }
  // Istio: a rule needs an issuer, or a jwksUri to find the keys without one.
  if (rule.issuer.empty() && rule.jwks_uri.empty() && !issuer.present()) {
    issuer.error("required (unless jwksUri is set)");
  }

  f.field("fromHeaders").each([&](const FieldReader& item) {
    if (!item.present()) {
      item.error("must be an object, got null");
      return;
    }
    if (!item.is_map()) return;
    state::JwtHeader header;
    header.name = required_string(item.field("name"));
    header.prefix = item.field("prefix").string().value_or("");
    rule.from_headers.push_back(std::move(header));
  });
  rule.from_params = read_strings(f.field("fromParams"), empty_item_error);
  rule.from_cookies = read_strings(f.field("fromCookies"), empty_item_error);
  rule.output_payload_to_header = f.field("outputPayloadToHeader").string().value_or("");
  rule.forward_original_token = f.field("forwardOriginalToken").boolean().value_or(false);
  f.field("outputClaimToHeaders").each([&](const FieldReader& item) {
    if (!item.present()) {
      item.error("must be an object, got null");
      return;
    }
    if (!item.is_map()) return;
    state::ClaimToHeader claim;
    FieldReader header = item.field("header");
    claim.header = required_string(header);
    if (!claim.header.empty()) {
      if (auto err = header_name_error(claim.header); !err.empty()) header.error(err);
    }
    claim.claim = required_string(item.field("claim"));
    rule.output_claim_to_headers.push_back(std::move(claim));
  });
  rule.timeout = read_timeout(f.field("timeout"));
  rule.space_delimited_claims = read_strings(f.field("spaceDelimitedClaims"), empty_item_error, 64);
  FieldReader presence = f.field("presence");
  if (auto text = presence.string()) {
    if (*text == "OPTIONAL") {
      rule.presence = state::JwtPresence::kOptional;
    } else if (*text == "REQUIRED") {
      rule.presence = state::JwtPresence::kRequired;
    } else {
      presence.error(quote(*text) + " is not a valid presence (OPTIONAL or REQUIRED)");
    }
  }
  return rule;
}

}  // namespace

Object decode_request_authentication(const FieldReader& root, state::ObjectMeta meta) {
  state::RequestAuthentication ra;
  ra.meta = std::move(meta);
  // Only AuthorizationPolicy may be a dry run (Istio's checkDryRunAnnotation).
  if (ra.meta.annotations.count(state::kDryRunAnnotation) != 0) {
    FieldReader annotations = root.field("metadata").field("annotations");
    annotations.errors().add(annotations.path() + "[" + state::kDryRunAnnotation + "]",
                             "only supported on AuthorizationPolicy: remove it");
  }
  FieldReader spec = root.field("spec");
  spec.is_map();  // records a wrong type; absent: no rules (nothing to validate)

  PolicyScope scope = decode_policy_scope(spec);
  ra.selector = std::move(scope.selector);
  ra.target_ref = std::move(scope.target_ref);
  ra.target_refs = std::move(scope.target_refs);

  FieldReader rules = spec.field("jwtRules");
  if (rules.size() > 4096) rules.error("must have at most 4096 items");
  rules.each([&](const FieldReader& item) {
    if (auto rule = decode_jwt_rule(item)) ra.jwt_rules.push_back(std::move(*rule));
  });
  return ra;
}

}  // namespace zmesh::config
