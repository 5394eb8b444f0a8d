// A JSON Web Key Set (RFC 7517) parsed into OpenSSL public keys: RSA, EC (P-256/384/521) and
// OKP (Ed25519). Keys we cannot use for signatures are skipped (and said why); a set with no
// usable key is an error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "jwt/openssl_ptr.h"

namespace zmesh::jwt {

enum class KeyType { kRsa, kEc, kOkp };

struct Jwk {
  std::string kid;  // empty: the key matches any token `kid` (as Envoy)
  KeyType kty = KeyType::kRsa;
  std::string alg;  // empty: any algorithm of the key type
  std::string crv;  // EC: "P-256", "P-384", "P-521"; OKP: "Ed25519"; RSA: empty
  PkeyPtr key;      // the public key
};

// Immutable once parsed; share it (e.g. std::shared_ptr<const KeySet>) between workers.
struct KeySet {
  std::vector<Jwk> keys;
  std::vector<std::string> skipped;  // one line per ignored key: "keys[2] (kid k): why"
};

// `{"keys": [...]}` or a single JWK object. Errors: not JSON ("Jwks is an invalid JSON"), no
// `keys` array, or no usable key ("Jwks doesn't have any valid public key", with the reasons).
Result<KeySet> parse_jwks(std::string_view json);

}  // namespace zmesh::jwt
