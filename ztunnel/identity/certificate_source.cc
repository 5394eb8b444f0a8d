#include "identity/certificate_source.h"

#include <spdlog/spdlog.h>

#include "identity/certificate.h"

namespace zmesh::identity {
namespace {

Result<std::unique_ptr<CertificateAuthority>> load(LocalCaSource::Layout layout,
                                                   const std::string& dir) {
  if (layout == LocalCaSource::Layout::kPlugin) return CertificateAuthority::load_plugin(dir);
  return CertificateAuthority::load_embedded(dir);
}

// A change of either means re-issuing: the trusted roots and the certificate that signs.
std::string trust_pem(const CertificateAuthority& ca) {
  return to_pem(ca.roots()) + to_pem(ca.signing_cert());
}

}  // namespace

Result<std::unique_ptr<LocalCaSource>> LocalCaSource::open(Layout layout, const std::string& dir,
                                                           const std::string& trust_domain) {
  auto ca = layout == Layout::kPlugin
                ? CertificateAuthority::load_plugin(dir)
                : CertificateAuthority::load_or_create_embedded(dir, trust_domain);
  if (!ca) return ca.error();
  return std::unique_ptr<LocalCaSource>(
      new LocalCaSource(layout, dir, trust_domain, std::move(*ca)));
}

LocalCaSource::LocalCaSource(Layout layout, std::string dir, std::string trust_domain,
                             std::unique_ptr<CertificateAuthority> ca)
    : layout_(layout),
      dir_(std::move(dir)),
      trust_domain_(std::move(trust_domain)),
      ca_(std::move(ca)),
      trust_pem_(trust_pem(*ca_)) {}

void LocalCaSource::reload_if_changed() {
  std::string fp = CertificateAuthority::fingerprint(dir_);
  if (fp == ca_->loaded_fingerprint() || fp == failed_fingerprint_) return;
  auto ca = load(layout_, dir_);
  if (!ca) {
    // Often a rotation caught half-way through; the next rewrite is picked up again.
    failed_fingerprint_ = fp;
    spdlog::warn("identity: reloading {} failed, keeping the previous CA: {}", describe(),
                 ca.error().message);
    return;
  }
  failed_fingerprint_.clear();
  ca_ = std::move(*ca);
  spdlog::info("identity: reloaded {}", describe());
}

boost::asio::awaitable<Result<SignedChain>> LocalCaSource::sign(std::string csr_pem,
                                                                SpiffeId identity,
                                                                std::chrono::seconds ttl) {
  reload_if_changed();
  co_return ca_->sign(csr_pem, identity, ttl);
}

bool LocalCaSource::trust_changed() {
  reload_if_changed();
  std::string pem = trust_pem(*ca_);
  if (pem == trust_pem_) return false;
  trust_pem_ = std::move(pem);
  spdlog::info("identity: trust roots or signing CA changed in {}", describe());
  return true;
}

std::string LocalCaSource::describe() const {
  return (layout_ == Layout::kPlugin ? "plug-in CA " : "embedded CA ") + dir_;
}

}  // namespace zmesh::identity
