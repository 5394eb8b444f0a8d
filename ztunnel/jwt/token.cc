#include "jwt/token.h"

#include <cmath>
#include <limits>

#include "jwt/base64url.h"

namespace zmesh::jwt {
namespace {

using nlohmann::json;

enum class Read { kOk, kMissing, kWrongType, kOutOfRange };

Read read_string(const json& object, const char* name, std::string& out) {
  auto it = object.find(name);
  if (it == object.end()) return Read::kMissing;
  if (!it->is_string()) return Read::kWrongType;
  out = it->get<std::string>();
  return Read::kOk;
}

// A JSON number as an unsigned 64-bit integer, as protobuf's Struct (a double) gives it.
Read read_uint64(const json& object, const char* name, std::optional<uint64_t>& out) {
  auto it = object.find(name);
  if (it == object.end()) return Read::kMissing;
  if (it->is_number_unsigned()) {
    out = it->get<uint64_t>();
    return Read::kOk;
  }
  if (!it->is_number()) return Read::kWrongType;
  const double d = it->get<double>();
  if (!(d >= 0) || d >= static_cast<double>(std::numeric_limits<uint64_t>::max())) {
    return Read::kOutOfRange;
  }
  out = static_cast<uint64_t>(d);
  return Read::kOk;
}

std::optional<json> parse_object(const std::string& text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  return doc;
}

}  // namespace

std::optional<Algorithm> algorithm_from_name(std::string_view name) {
  if (name == "RS256") return Algorithm::kRs256;
  if (name == "RS384") return Algorithm::kRs384;
  if (name == "RS512") return Algorithm::kRs512;
  if (name == "PS256") return Algorithm::kPs256;
  if (name == "PS384") return Algorithm::kPs384;
  if (name == "PS512") return Algorithm::kPs512;
  if (name == "ES256") return Algorithm::kEs256;
  if (name == "ES384") return Algorithm::kEs384;
  if (name == "ES512") return Algorithm::kEs512;
  if (name == "EdDSA") return Algorithm::kEdDsa;
  return std::nullopt;
}

std::variant<ParsedToken, Failure> parse_token(std::string_view token) {
  // Exactly three non-empty sections (Envoy splits with SkipEmpty, so "a..b" is two).
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == token.npos ? token.npos : token.find('.', dot1 + 1);
  if (dot2 == token.npos || token.find('.', dot2 + 1) != token.npos || dot1 == 0 ||
      dot2 == dot1 + 1 || dot2 + 1 == token.size()) {
    return Failure::kBadFormat;
  }
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = token.substr(dot2 + 1);

  ParsedToken t;
  auto header_text = base64url_decode(header_b64);
  if (!header_text) return Failure::kHeaderBadBase64;
  auto header = parse_object(*header_text);
  if (!header) return Failure::kHeaderBadJson;
  t.header = std::move(*header);
  if (read_string(t.header, "alg", t.alg_name) != Read::kOk) return Failure::kHeaderBadAlg;
  auto alg = algorithm_from_name(t.alg_name);
  if (!alg) return Failure::kHeaderNotImplementedAlg;
  t.alg = *alg;
  if (read_string(t.header, "kid", t.kid) == Read::kWrongType) return Failure::kHeaderBadKid;

  auto payload_text = base64url_decode(payload_b64);
  if (!payload_text) return Failure::kPayloadBadBase64;
  auto payload = parse_object(*payload_text);
  if (!payload) return Failure::kPayloadBadJson;
  t.payload = std::move(*payload);
  const json& p = t.payload;
  if (read_string(p, "iss", t.iss) == Read::kWrongType) return Failure::kIssNotString;
  if (read_string(p, "sub", t.sub) == Read::kWrongType) return Failure::kSubNotString;
  switch (read_uint64(p, "iat", t.iat)) {
    case Read::kWrongType:
      return Failure::kIatNotInteger;
    case Read::kOutOfRange:
      return Failure::kIatOutOfRange;
    default:
      break;
  }
  switch (read_uint64(p, "nbf", t.nbf)) {
    case Read::kWrongType:
      return Failure::kNbfNotInteger;
    case Read::kOutOfRange:
      return Failure::kNbfOutOfRange;
    default:
      break;
  }
  switch (read_uint64(p, "exp", t.exp)) {
    case Read::kWrongType:
      return Failure::kExpNotInteger;
    case Read::kOutOfRange:
      return Failure::kExpOutOfRange;
    default:
      break;
  }
  if (read_string(p, "jti", t.jti) == Read::kWrongType) return Failure::kJtiNotString;
  if (auto aud = p.find("aud"); aud != p.end()) {
    if (aud->is_string()) {
      t.audiences.push_back(aud->get<std::string>());
    } else if (aud->is_array()) {
      for (const auto& a : *aud) {
        if (!a.is_string()) return Failure::kAudNotString;
        t.audiences.push_back(a.get<std::string>());
      }
    } else {
      return Failure::kAudNotString;
    }
  }

  auto signature = base64url_decode(signature_b64);
  if (!signature) return Failure::kSignatureBadBase64;
  t.signature = std::move(*signature);
  t.signed_part = std::string(token.substr(0, dot2));
  t.payload_segment = std::string(payload_b64);
  return t;
}

}  // namespace zmesh::jwt
