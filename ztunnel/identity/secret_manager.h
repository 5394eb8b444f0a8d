// Issues and renews workload certificates (Istio ztunnel's SecretManager): one managed
// identity per service account in use on this node. Certificates renew at half life; a
// failed issuance retries with exponential backoff while the still-valid certificate keeps
// serving. Workers read the current credentials lock-free through an IdentitySlot.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"
#include "identity/certificate_source.h"
#include "identity/spiffe_id.h"
#include "identity/tls_credentials.h"

namespace zmesh::identity {

struct SecretOptions {
  std::string trust_domain = kDefaultTrustDomain;
  std::chrono::seconds ttl{24 * 3600};
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{30000};
};

// One identity's current credentials. Any thread may read; only the manager writes.
class IdentitySlot {
 public:
  explicit IdentitySlot(SpiffeId id) : id_(std::move(id)) {}
  const SpiffeId& id() const { return id_; }
  // Null until the first issuance succeeds.
  std::shared_ptr<const TlsCredentials> current() const { return creds_.load(); }

 private:
  friend class SecretManager;
  SpiffeId id_;
  std::atomic<std::shared_ptr<const TlsCredentials>> creds_;
};

class SecretManager {
 public:
  SecretManager(boost::asio::any_io_executor control, CertificateSource& source,
                SecretOptions options);
  ~SecretManager();

  // Control thread only. Starts managing `id` (or joins the existing slot): issues now,
  // then renews. Managed while any returned handle lives.
  std::shared_ptr<IdentitySlot> track(const SpiffeId& id);

  // Control thread only. Waits for the slot's first certificate, or fails after `timeout`
  // with the last issuance error.
  boost::asio::awaitable<Result<std::shared_ptr<const TlsCredentials>>> wait_ready(
      std::shared_ptr<IdentitySlot> slot, std::chrono::milliseconds timeout);

  const SecretOptions& options() const { return options_; }

  // Control thread only. [{"identity","state":"valid|pending|retrying","last_error",
  // ...CertifiedKey::to_json()}] for /config_dump and zmeshctl certs.
  nlohmann::json to_json() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  SecretOptions options_;
};

}  // namespace zmesh::identity
