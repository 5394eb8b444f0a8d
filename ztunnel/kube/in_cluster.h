// Credentials of a pod's service account: the API server from KUBERNETES_SERVICE_HOST and
// KUBERNETES_SERVICE_PORT, its CA and the (bound, rotating) token from the mounted
// service-account directory.
#pragma once

#include <functional>
#include <string>

#include "common/result.h"
#include "kube/credentials.h"

namespace zmesh::kube {

inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// `getenv` is injectable for tests; returns null for an unset variable.
Result<Credentials> in_cluster_credentials(
    const std::function<const char*(const char*)>& getenv,
    const std::string& service_account_dir = kServiceAccountDir);

}  // namespace zmesh::kube
