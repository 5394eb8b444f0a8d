// Why a JWT was not accepted, with Envoy's exact status strings (jwt_authn's 401/403 bodies, from
// source/common/jwt/status.cc), so clients see what they would see behind an Istio sidecar.
#pragma once

#include <string_view>

namespace zmesh::jwt {

enum class Failure {
  kMissing,    // no token where the rule looks
  kBadFormat,  // not three non-empty dot-separated sections
  kHeaderBadBase64,
  kHeaderBadJson,
  kHeaderBadAlg,             // `alg` absent or not a string
  kHeaderNotImplementedAlg,  // `alg` not one we verify ("none", HS*, unknown)
  kHeaderBadKid,             // `kid` not a string
  kPayloadBadBase64,
  kPayloadBadJson,
  kIssNotString,
  kSubNotString,
  kIatNotInteger,
  kIatOutOfRange,
  kNbfNotInteger,
  kNbfOutOfRange,
  kExpNotInteger,
  kExpOutOfRange,
  kJtiNotString,
  kAudNotString,
  kSignatureBadBase64,
  kUnknownIssuer,       // `iss` is not the rule's issuer
  kNotYetValid,         // nbf in the future (beyond the clock skew)
  kExpired,             // exp in the past (beyond the clock skew)
  kAudienceNotAllowed,  // the rule lists audiences and `aud` has none of them
  kJwksFetchFail,       // the rule's key set was never fetched
  kJwksNoValidKeys,     // the rule's key set is empty
  kKidAlgMismatch,      // no key with the token's kid (and alg)
  kEd25519SignatureWrongLength,
  kVerificationFail,  // the signature does not verify with any candidate key
};

// Envoy's message for `failure`, e.g. "Jwt is expired".
std::string_view message(Failure failure);

// The HTTP status Envoy answers with: 403 for kAudienceNotAllowed, else 401.
int http_status(Failure failure);

}  // namespace zmesh::jwt
