#include "jwt/failure.h"

namespace zmesh::jwt {

std::string_view message(Failure failure) {
  switch (failure) {
    case Failure::kMissing:
      return "Jwt is missing";
    case Failure::kBadFormat:
      return "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections";
    case Failure::kHeaderBadBase64:
      return "Jwt header is an invalid Base64url encoded";
    case Failure::kHeaderBadJson:
      return "Jwt header is an invalid JSON";
    case Failure::kHeaderBadAlg:
      return "Jwt header [alg] field is required and must be a string";
    case Failure::kHeaderNotImplementedAlg:
      return "Jwt header [alg] is not supported";
    case Failure::kHeaderBadKid:
      return "Jwt header [kid] field is not a string";
    case Failure::kPayloadBadBase64:
      return "Jwt payload is an invalid Base64url encoded";
    case Failure::kPayloadBadJson:
      return "Jwt payload is an invalid JSON";
    case Failure::kIssNotString:
      return "Jwt payload [iss] field is not a string";
    case Failure::kSubNotString:
      return "Jwt payload [sub] field is not a string";
    case Failure::kIatNotInteger:
      return "Jwt payload [iat] field is not an integer";
    case Failure::kIatOutOfRange:
      return "Jwt payload [iat] field is not a positive 64 bit integer";
    case Failure::kNbfNotInteger:
      return "Jwt payload [nbf] field is not an integer";
    case Failure::kNbfOutOfRange:
      return "Jwt payload [nbf] field is not a positive 64 bit integer";
    case Failure::kExpNotInteger:
      return "Jwt payload [exp] field is not an integer";
    case Failure::kExpOutOfRange:
      return "Jwt payload [exp] field is not a positive 64 bit integer";
    case Failure::kJtiNotString:
      return "Jwt payload [jti] field is not a string";
    case Failure::kAudNotString:
      return "Jwt payload [aud] field is not a string or string list";
    case Failure::kSignatureBadBase64:
      return "Jwt signature is an invalid Base64url encoded";
    case Failure::kUnknownIssuer:
      return "Jwt issuer is not configured";
    case Failure::kNotYetValid:
      return "Jwt not yet valid";
    case Failure::kExpired:
      return "Jwt is expired";
    case Failure::kAudienceNotAllowed:
      return "Audiences in Jwt are not allowed";
    case Failure::kJwksFetchFail:
      return "Jwks remote fetch is failed";
    case Failure::kJwksNoValidKeys:
      return "Jwks doesn't have any valid public key";
    case Failure::kKidAlgMismatch:
      return "Jwks doesn't have key to match kid or alg from Jwt";
    case Failure::kEd25519SignatureWrongLength:
      return "Jwt ED25519 signature is wrong length";
    case Failure::kVerificationFail:
      return "Jwt verification fails";
  }
  return "";
}

int http_status(Failure failure) {
  return failure == Failure::kAudienceNotAllowed ? 403 : 401;
}

}  // namespace zmesh::jwt
