// The TLS client context for the API server: TLS 1.2+, the cluster's CA (or the system
// roots), the client certificate when there is one, verification off only when the
// kubeconfig says insecure-skip-tls-verify. The server's name or IP is checked per
// connection (verify_server_name).
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "common/result.h"
#include "kube/credentials.h"

namespace zmesh::kube {

Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const Credentials& c);

// Sets SNI (for names) and the expected name or IP address on one connection.
Result<void> verify_server_name(SSL* ssl, const std::string& host);

}  // namespace zmesh::kube
