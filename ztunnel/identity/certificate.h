// A workload's private key and certificate chain, immutable once issued, plus PEM helpers.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "identity/openssl.h"
#include "identity/spiffe_id.h"

namespace zmesh::identity {

struct CertifiedKey {
  SpiffeId identity;
  EvpPkeyPtr key;  // ECDSA P-256, in memory only
  X509Ptr leaf;
  std::vector<X509Ptr> intermediates;  // leaf's issuer first; roots excluded
  std::vector<X509Ptr> roots;          // trust anchors (several during a root rotation)
  std::string serial;                  // leaf serial, lower-case hex
  std::chrono::system_clock::time_point not_before, not_after;

  // Leaf then intermediates, PEM.
  std::string chain_pem() const;
  // {"identity","serial","not_before","not_after" (RFC 3339 UTC),
  //  "chain":[{"subject","issuer","serial","not_before","not_after"}...], "roots":[same]}
  nlohmann::json to_json() const;
};

// Builds a CertifiedKey from an issued chain (leaf first) and roots; checks that the leaf
// matches `key` and carries a SPIFFE id.
Result<CertifiedKey> make_certified_key(EvpPkeyPtr key, std::vector<X509Ptr> chain,
                                        std::vector<X509Ptr> roots);

Result<std::vector<X509Ptr>> parse_pem_certs(std::string_view pem);  // at least one
Result<EvpPkeyPtr> parse_pem_key(std::string_view pem);
std::string to_pem(const X509* cert);
std::string to_pem(const std::vector<X509Ptr>& certs);
std::string key_to_pem(const EVP_PKEY* key);  // PKCS#8, unencrypted

std::chrono::system_clock::time_point not_before(const X509* cert);
std::chrono::system_clock::time_point not_after(const X509* cert);
std::string serial_hex(const X509* cert);

}  // namespace zmesh::identity
