// TLS contexts built from one issued certificate: what a pod presents on 15008 (server) and
// when its outbound opens HBONE (client). TLS 1.3 only, ALPN "h2", peers verified against
// the certificate's roots, with a SPIFFE id in our trust domain.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "common/result.h"
#include "identity/certificate.h"
#include "identity/spiffe_id.h"

namespace zmesh::identity {

struct TlsCredentials {
  std::shared_ptr<const CertifiedKey> cert;
  // Presents `cert`; requires a client certificate chained to cert->roots, unexpired, whose
  // SPIFFE id is in the trust domain; selects ALPN h2 (refuses other ALPN).
  std::shared_ptr<boost::asio::ssl::context> server;
  // Presents `cert`; verifies the server's chain to cert->roots and its trust domain; offers
  // ALPN h2. The caller checks the exact expected identity after the handshake.
  std::shared_ptr<boost::asio::ssl::context> client;
};

Result<std::shared_ptr<const TlsCredentials>> make_tls_credentials(
    std::shared_ptr<const CertifiedKey> cert, const std::string& trust_domain);

// The verified peer's SPIFFE id after a successful handshake.
Result<SpiffeId> peer_identity(const SSL* ssl);

}  // namespace zmesh::identity
