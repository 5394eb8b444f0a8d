// Reads a kubeconfig file's current context into Credentials: the cluster's server,
// certificate-authority(-data), insecure-skip-tls-verify, and the user's
// client-certificate/key(-data), token or tokenFile. Relative file paths are relative to
// the kubeconfig's directory (as kubectl does). exec and auth-provider plugins are refused:
// the daemon runs no external programs.
#pragma once

#include <string>

#include "common/result.h"
#include "kube/credentials.h"

namespace zmesh::kube {

// `text`: the kubeconfig YAML; `path`: where it was read from (base of relative paths and
// of messages). Referenced files (CA, client certificate and key) are read here; tokenFile is
// only recorded, BearerToken reads it.
Result<Credentials> parse_kubeconfig(const std::string& text, const std::string& path);

Result<Credentials> load_kubeconfig(const std::string& path);

}  // namespace zmesh::kube
