// The identities of cluster mode's two infrastructure parties, in Istio's layout: node
// daemons are the ztunnel service account, the CA service is zmesh-ca; both live in the
// root namespace istio-system.
#pragma once

#include <string>

#include "identity/spiffe_id.h"

namespace zmesh::ca {

inline constexpr const char* kInfraNamespace = "istio-system";
inline constexpr const char* kNodeServiceAccount = "ztunnel";
inline constexpr const char* kCaServiceAccount = "zmesh-ca";
inline constexpr const char* kCaDnsName = "zmesh-ca";  // server certificate's DNS SAN and CN

inline identity::SpiffeId node_identity(const std::string& trust_domain) {
  return {trust_domain, kInfraNamespace, kNodeServiceAccount};
}

inline identity::SpiffeId ca_service_identity(const std::string& trust_domain) {
  return {trust_domain, kInfraNamespace, kCaServiceAccount};
}

}  // namespace zmesh::ca
