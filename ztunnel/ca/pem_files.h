// Reading the CA's PEM files; errors name the file.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "identity/openssl.h"

namespace zmesh::ca {

Result<std::vector<identity::X509Ptr>> read_pem_certs(const std::string& path);  // at least one
Result<identity::EvpPkeyPtr> read_pem_key(const std::string& path);

}  // namespace zmesh::ca
