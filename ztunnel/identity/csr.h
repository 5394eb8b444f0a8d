// Key pair and certificate signing request for a workload identity (what a node sends to the CA).
#pragma once

#include <string>

#include "common/result.h"
#include "identity/openssl.h"
#include "identity/spiffe_id.h"

namespace zmesh::identity {

struct KeyAndCsr {
  EvpPkeyPtr key;       // fresh ECDSA P-256
  std::string csr_pem;  // PKCS#10 with the SPIFFE id as URI SAN
};

Result<KeyAndCsr> make_key_and_csr(const SpiffeId& id);

}  // namespace zmesh::identity
