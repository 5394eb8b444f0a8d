// A node daemon's credentials for talking to the CA service: its certificate (URI SAN
// spiffe://<td>/ns/istio-system/sa/ztunnel, Subject CN = node name), key, and the CA roots,
// as files in one directory (what `ztunnel ca issue-node` writes and RemoteCaSource reads).
#pragma once

#include <chrono>
#include <string>

#include "ca/credential_issuer.h"
#include "common/result.h"

namespace zmesh::ca {

inline constexpr const char* kNodeCertFile = "node-cert.pem";  // leaf + intermediates
inline constexpr const char* kNodeKeyFile = "node-key.pem";    // PKCS#8, mode 0600
inline constexpr const char* kNodeRootCertFile = "root-cert.pem";

// Issues `node`'s certificate with `issuer` and writes the three files into `out_dir`
// (created if missing), replacing earlier ones.
Result<void> write_node_credentials(const CredentialIssuer& issuer, const std::string& node,
                                    const std::string& trust_domain, std::chrono::seconds ttl,
                                    const std::string& out_dir);

// Reads the three files back; checks the key matches the certificate.
Result<IssuedCredentials> load_node_credentials(const std::string& dir);

}  // namespace zmesh::ca
