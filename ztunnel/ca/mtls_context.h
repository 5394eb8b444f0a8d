// TLS for the CA service and its clients: TLS 1.3 only, both sides present a certificate
// and verify the peer's chain against the CA roots. Who the peer is (SPIFFE id, node name)
// is checked after the handshake with verified_peer().
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "ca/credential_issuer.h"
#include "common/result.h"
#include "identity/spiffe_id.h"

namespace zmesh::ca {

enum class TlsRole { kServer, kClient };

// Presents `creds` (key, chain) and trusts `creds.roots` for the peer; a server requires a
// client certificate.
Result<std::shared_ptr<boost::asio::ssl::context>> make_mtls_context(
    TlsRole role, const IssuedCredentials& creds);

struct PeerCertificate {
  identity::SpiffeId id;    // the single spiffe:// URI SAN
  std::string common_name;  // Subject CN, "" if none
};

// The peer's leaf after a successful handshake (which verified its chain).
Result<PeerCertificate> verified_peer(const SSL* ssl);

}  // namespace zmesh::ca
