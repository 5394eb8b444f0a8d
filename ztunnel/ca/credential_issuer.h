// Issues the CA's infrastructure certificates: node credentials (`ztunnel ca issue-node`)
// and the CA service's own server certificate. Unlike workload certificates
// (CertificateAuthority::sign, URI SAN only) these carry a Subject CN (the node name is how
// the CA service knows which node asks) and DNS names, so this loads the signing key and
// certificate from the CA directory itself.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"
#include "identity/openssl.h"
#include "identity/spiffe_id.h"

namespace zmesh::ca {

struct CertificateProfile {
  std::string common_name;  // Subject CN (at most 64 characters)
  identity::SpiffeId identity;
  std::vector<std::string> dns_names;
  std::chrono::seconds ttl{0};
};

// A fresh key with its certificate chain.
struct IssuedCredentials {
  identity::EvpPkeyPtr key;
  std::vector<identity::X509Ptr> chain;  // leaf first, then intermediates; roots excluded
  std::vector<identity::X509Ptr> roots;
};

class CredentialIssuer {
 public:
  // `dir` is an Istio plug-in CA directory (ca-cert.pem, ca-key.pem, root-cert.pem, optional
  // cert-chain.pem) or an embedded CA's state directory (ca-key.pem and the self-signed
  // root-cert.pem it signs with).
  static Result<CredentialIssuer> load(const std::string& dir);

  // A new ECDSA P-256 key and a certificate for it (serverAuth+clientAuth, not a CA), valid
  // for profile.ttl but never beyond the signing certificate's own expiry.
  Result<IssuedCredentials> issue(const CertificateProfile& profile) const;

  const std::vector<identity::X509Ptr>& roots() const { return roots_; }

 private:
  CredentialIssuer() = default;
  identity::EvpPkeyPtr key_;
  identity::X509Ptr cert_;
  std::vector<identity::X509Ptr> intermediates_;  // cert_ first unless it is a root
  std::vector<identity::X509Ptr> roots_;
};

}  // namespace zmesh::ca
