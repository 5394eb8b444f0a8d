// Where workload certificates come from: the node's own CA (standalone) or a remote CA
// service (cluster mode). The SecretManager only sees this interface.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "identity/certificate_authority.h"
#include "identity/spiffe_id.h"

namespace zmesh::identity {

class CertificateSource {
 public:
  virtual ~CertificateSource() = default;
  // Signs `csr_pem` for `identity`. Called on the control executor.
  virtual boost::asio::awaitable<Result<SignedChain>> sign(std::string csr_pem, SpiffeId identity,
                                                           std::chrono::seconds ttl) = 0;
  // Called about once a second on the control executor: true when the trust roots or the
  // signing CA changed since the last call (e.g. the plug-in CA directory was rewritten for a
  // root rotation), so every workload certificate is re-issued at once.
  virtual bool trust_changed() { return false; }
  virtual std::string describe() const = 0;  // for logs: "plug-in CA /etc/cacerts", ...
};

// Signs with a CertificateAuthority loaded from disk; reloads it when its directory changes
// (a failed reload is logged and the previous CA keeps signing).
class LocalCaSource : public CertificateSource {
 public:
  enum class Layout { kPlugin, kEmbedded };
  static Result<std::unique_ptr<LocalCaSource>> open(Layout layout, const std::string& dir,
                                                     const std::string& trust_domain);
  boost::asio::awaitable<Result<SignedChain>> sign(std::string csr_pem, SpiffeId identity,
                                                   std::chrono::seconds ttl) override;
  bool trust_changed() override;
  std::string describe() const override;
  const CertificateAuthority& ca() const { return *ca_; }

 private:
  LocalCaSource(Layout layout, std::string dir, std::string trust_domain,
                std::unique_ptr<CertificateAuthority> ca);
  void reload_if_changed();
  Layout layout_;
  std::string dir_, trust_domain_;
  std::unique_ptr<CertificateAuthority> ca_;
  std::string trust_pem_;  // roots + signing cert: tells a real change from an unrelated rewrite
  std::string failed_fingerprint_;  // last directory state that failed to load (logged once)
};

}  // namespace zmesh::identity
