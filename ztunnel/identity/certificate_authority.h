// The mesh's certificate authority: signs workload CSRs. Two layouts on disk:
// - Istio's plug-in CA directory (bring your own): ca-cert.pem, ca-key.pem, root-cert.pem,
//   cert-chain.pem. root-cert.pem may hold several roots (all trusted: root rotation).
// - Embedded (standalone default): a self-signed root made on first start, kept as
//   root-cert.pem + ca-key.pem (0600) in a state directory and reused after restart.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "identity/openssl.h"
#include "identity/spiffe_id.h"

namespace zmesh::identity {

struct SignedChain {
  std::vector<X509Ptr> chain;  // leaf first, then intermediates up to (excluding) the root
  std::vector<X509Ptr> roots;
};

class CertificateAuthority {
 public:
  static Result<std::unique_ptr<CertificateAuthority>> load_plugin(const std::string& dir);
  static Result<std::unique_ptr<CertificateAuthority>> load_or_create_embedded(
      const std::string& dir, const std::string& trust_domain);
  // Loads an existing embedded CA, never creating one (for reloads: a vanished directory
  // must not silently become a new root).
  static Result<std::unique_ptr<CertificateAuthority>> load_embedded(const std::string& dir);
  // Writes a fresh plug-in layout (a self-signed root that is also the signing CA) into
  // `dir`, for `ztunnel ca init` and tests. Refuses to overwrite an existing ca-key.pem.
  static Result<void> create_plugin_dir(const std::string& dir, const std::string& trust_domain,
                                        std::chrono::seconds lifetime);

  // Checks the CSR's signature and key type (EC P-256), then issues a leaf for `identity`
  // (URI SAN only, serverAuth+clientAuth, not a CA) valid for `ttl`, never beyond the CA's
  // own expiry. Ignores whatever names the CSR asks for: the identity is the caller's decision.
  Result<SignedChain> sign(std::string_view csr_pem, const SpiffeId& identity,
                           std::chrono::seconds ttl) const;

  const std::vector<X509Ptr>& roots() const;
  const X509* signing_cert() const;  // ca-cert.pem: issues every workload certificate
  const std::string& dir() const;
  // Identifies the files' contents as loaded (mtimes + sizes); changes when the directory is
  // rewritten, e.g. for a root rotation. Cheap: stat only.
  static std::string fingerprint(const std::string& dir);
  const std::string& loaded_fingerprint() const;

  ~CertificateAuthority();

 private:
  CertificateAuthority();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zmesh::identity
