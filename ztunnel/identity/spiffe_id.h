// Workload identity: spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>, carried as
// the single URI SAN of a workload certificate (Istio's format).
#pragma once

#include <openssl/x509.h>

#include <compare>
#include <string>
#include <string_view>

#include "common/result.h"

namespace zmesh::identity {

inline constexpr const char* kDefaultTrustDomain = "cluster.local";

struct SpiffeId {
  std::string trust_domain;
  std::string namespace_;
  std::string service_account;

  std::string uri() const;  // "spiffe://cluster.local/ns/default/sa/web"
  // Strict parse of Istio's layout; the error says which part is wrong.
  static Result<SpiffeId> parse(std::string_view uri);
  auto operator<=>(const SpiffeId&) const = default;
};

// The certificate's spiffe:// URI SAN (exactly one expected).
Result<SpiffeId> spiffe_id_of(const X509* cert);

}  // namespace zmesh::identity
