// Building blocks for X.509 certificates (keys, serials, extensions), shared by the CA and
// by tests that need unusual certificates (expired, foreign CA, intermediates).
#pragma once

#include <openssl/x509v3.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "identity/openssl.h"

namespace zmesh::identity {

using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpensslFree<X509_EXTENSION_free>>;

struct CertSpec {
  std::string common_name;            // subject CN, omitted when empty
  std::string organization;           // subject O, omitted when empty
  std::vector<std::string> uri_sans;  // workload leaf: the SPIFFE id
  bool is_ca = false;  // CA: keyCertSign|cRLSign; leaf: digitalSignature, server+client auth
  std::chrono::system_clock::time_point not_before, not_after;
};

Result<EvpPkeyPtr> generate_p256_key();

// Random positive 128-bit serial number.
Result<void> set_random_serial(X509* cert);

// A certificate for `subject_key` (public part) per `spec`, signed SHA-256 by `issuer_key`.
// `issuer` null means self-signed (then issuer_key must be the subject's private key).
Result<X509Ptr> build_certificate(const CertSpec& spec, EVP_PKEY* subject_key, const X509* issuer,
                                  EVP_PKEY* issuer_key);

// Subject alternative names extension holding `uris` (GEN_URI entries), for CSRs and certs.
X509ExtensionPtr make_uri_san_extension(const std::vector<std::string>& uris, bool critical);

}  // namespace zmesh::identity
