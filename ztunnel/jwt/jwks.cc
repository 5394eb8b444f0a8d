#include "jwt/jwks.h"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <variant>

#include "jwt/base64url.h"

namespace zmesh::jwt {
namespace {

using nlohmann::json;

// A failed key: why, in Envoy's words where it has them.
struct KeyError {
  std::string why;
};

template <typename T>
using KeyResult = std::variant<T, KeyError>;

// The string member `name` of `key`: nullopt when absent, KeyError when not a string.
KeyResult<std::optional<std::string>> string_member(const json& key, const char* name) {
  auto it = key.find(name);
  if (it == key.end()) return std::optional<std::string>{};
  if (!it->is_string()) return KeyError{std::string("[") + name + "] is not a string"};
  return std::optional<std::string>{it->get<std::string>()};
}

// A required base64url member decoded to bytes.
KeyResult<std::string> bytes_member(const json& key, const char* name) {
  auto it = key.find(name);
  if (it == key.end()) return KeyError{std::string("[") + name + "] field is missing"};
  if (!it->is_string()) return KeyError{std::string("[") + name + "] field is not a string"};
  auto bytes = base64url_decode(it->get_ref<const std::string&>());
  if (!bytes || bytes->empty()) {
    return KeyError{std::string("[") + name + "] field is an invalid Base64url"};
  }
  return *bytes;
}

// Builds a public key of `type` ("RSA", "EC", "ED25519") from OSSL parameters.
KeyResult<PkeyPtr> from_params(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return KeyError{std::string("OpenSSL rejects the ") + type + " key parameters"};
  }
  return PkeyPtr(raw);
}

KeyResult<PkeyPtr> rsa_key(const json& key) {
  auto n = bytes_member(key, "n");
  if (auto* e = std::get_if<KeyError>(&n)) return *e;
  auto e = bytes_member(key, "e");
  if (auto* err = std::get_if<KeyError>(&e)) return *err;
  const auto& nb = std::get<std::string>(n);
  const auto& eb = std::get<std::string>(e);
  BignumPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(nb.data()),
                           static_cast<int>(nb.size()), nullptr));
  BignumPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(eb.data()),
                           static_cast<int>(eb.size()), nullptr));
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    ERR_clear_error();
    return KeyError{"cannot build the RSA key"};
  }
  return from_params("RSA", bld.get());
}

// Coordinate length in bytes of each supported curve.
std::optional<size_t> coordinate_size(std::string_view crv) {
  if (crv == "P-256") return 32;
  if (crv == "P-384") return 48;
  if (crv == "P-521") return 66;
  return std::nullopt;
}

KeyResult<PkeyPtr> ec_key(const json& key, const std::string& crv) {
  const size_t size = *coordinate_size(crv);
  auto x = bytes_member(key, "x");
  if (auto* e = std::get_if<KeyError>(&x)) return *e;
  auto y = bytes_member(key, "y");
  if (auto* e = std::get_if<KeyError>(&y)) return *e;
  const auto& xb = std::get<std::string>(x);
  const auto& yb = std::get<std::string>(y);
  if (xb.size() > size || yb.size() > size) {
    return KeyError{"[x] or [y] is longer than the curve's coordinates"};
  }
  // Uncompressed point: 0x04 || x || y, each coordinate left-padded to the curve size.
  std::string point(1 + 2 * size, '\0');
  point[0] = 0x04;
  point.replace(1 + size - xb.size(), xb.size(), xb);
  point.replace(1 + 2 * size - yb.size(), yb.size(), yb);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, crv.c_str(), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    ERR_clear_error();
    return KeyError{"cannot build the EC key"};
  }
  auto built = from_params("EC", bld.get());
  if (std::holds_alternative<KeyError>(built)) {
    return KeyError{"[x] and [y] are not a point of " + crv};
  }
  return built;
}

KeyResult<PkeyPtr> ed25519_key(const json& key) {
  auto x = bytes_member(key, "x");
  if (auto* e = std::get_if<KeyError>(&x)) return *e;
  const auto& xb = std::get<std::string>(x);
  if (xb.size() != 32) return KeyError{"[x] field is wrong length for Ed25519"};
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key_ex(
      nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(xb.data()), xb.size()));
  if (!pkey) {
    ERR_clear_error();
    return KeyError{"OpenSSL rejects the Ed25519 key"};
  }
  return pkey;
}

// One entry of `keys`: a usable Jwk or why not.
KeyResult<Jwk> parse_key(const json& key) {
  if (!key.is_object()) return KeyError{"not a JSON object"};
  Jwk jwk;
  auto kty = string_member(key, "kty");
  if (auto* e = std::get_if<KeyError>(&kty)) return *e;
  auto kid = string_member(key, "kid");
  if (auto* e = std::get_if<KeyError>(&kid)) return *e;
  auto alg = string_member(key, "alg");
  if (auto* e = std::get_if<KeyError>(&alg)) return *e;
  auto use = string_member(key, "use");
  if (auto* e = std::get_if<KeyError>(&use)) return *e;
  auto crv = string_member(key, "crv");
  if (auto* e = std::get_if<KeyError>(&crv)) return *e;
  const auto& kty_v = std::get<std::optional<std::string>>(kty);
  if (!kty_v) return KeyError{"[kty] is missing in [keys]"};
  const auto& use_v = std::get<std::optional<std::string>>(use);
  if (use_v && *use_v != "sig") return KeyError{"[use] is \"" + *use_v + "\", not \"sig\""};
  jwk.kid = std::get<std::optional<std::string>>(kid).value_or("");
  jwk.alg = std::get<std::optional<std::string>>(alg).value_or("");
  std::string crv_v = std::get<std::optional<std::string>>(crv).value_or("");

  KeyResult<PkeyPtr> built = KeyError{};
  if (*kty_v == "RSA") {
    if (!jwk.alg.empty() && jwk.alg.rfind("RS", 0) != 0 && jwk.alg.rfind("PS", 0) != 0) {
      return KeyError{"[alg] is not started with [RS] or [PS] for an RSA key"};
    }
    jwk.kty = KeyType::kRsa;
    built = rsa_key(key);
  } else if (*kty_v == "EC") {
    if (!jwk.alg.empty() && jwk.alg != "ES256" && jwk.alg != "ES384" && jwk.alg != "ES512") {
      return KeyError{"[alg] is not started with [ES] for an EC key"};
    }
    // Without crv the alg names the curve (as Envoy); without either, P-256.
    const std::string from_alg = jwk.alg == "ES384"   ? "P-384"
                                 : jwk.alg == "ES512" ? "P-521"
                                                      : "P-256";
    if (crv_v.empty()) crv_v = from_alg;
    if (!coordinate_size(crv_v)) {
      return KeyError{"[crv] field is not supported for an EC key: " + crv_v};
    }
    if (!jwk.alg.empty() && crv_v != from_alg) {
      return KeyError{"[crv] field specified is not compatible with [alg] for an EC key"};
    }
    jwk.kty = KeyType::kEc;
    built = ec_key(key, crv_v);
  } else if (*kty_v == "OKP") {
    if (!jwk.alg.empty() && jwk.alg != "EdDSA") {
      return KeyError{"[alg] is not [EdDSA] for an OKP key"};
    }
    if (crv_v != "Ed25519") return KeyError{"[crv] field is not supported for an OKP key"};
    jwk.kty = KeyType::kOkp;
    built = ed25519_key(key);
  } else {
    return KeyError{"[kty] \"" + *kty_v + "\" is not supported"};
  }
  if (auto* e = std::get_if<KeyError>(&built)) return *e;
  jwk.crv = crv_v;
  jwk.key = std::move(std::get<PkeyPtr>(built));
  return jwk;
}

}  // namespace

Result<KeySet> parse_jwks(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return make_error("Jwks is an invalid JSON");
  KeySet set;
  // A lone JWK (has `kty`, no `keys`) is a set of one.
  json single;
  const json* keys = nullptr;
  if (auto it = doc.find("keys"); it != doc.end()) {
    if (!it->is_array()) return make_error("[keys] in Jwks is not an array");
    keys = &*it;
  } else if (doc.contains("kty")) {
    single = json::array({doc});
    keys = &single;
  } else {
    return make_error("Jwks does not have [keys] field");
  }
  for (size_t i = 0; i < keys->size(); ++i) {
    const json& entry = (*keys)[i];
    auto parsed = parse_key(entry);
    if (auto* jwk = std::get_if<Jwk>(&parsed)) {
      set.keys.push_back(std::move(*jwk));
      continue;
    }
    std::string where = "keys[" + std::to_string(i) + "]";
    if (entry.is_object()) {
      if (auto kid = entry.find("kid"); kid != entry.end() && kid->is_string()) {
        where += " (kid " + kid->get<std::string>() + ")";
      }
    }
    set.skipped.push_back(where + ": " + std::get<KeyError>(parsed).why);
  }
  if (set.keys.empty()) {
    std::string why = "Jwks doesn't have any valid public key";
    for (const auto& s : set.skipped) why += "; " + s;
    return make_error(why);
  }
  return set;
}

}  // namespace zmesh::jwt
