// Where the Kubernetes API server is and how to prove who we are to it: what a kubeconfig's
// current context or the in-cluster service account gives. Plain data; kubeconfig.h and
// in_cluster.h fill it, ApiClient uses it.
#pragma once

#include <string>

namespace zmesh::kube {

struct Credentials {
  std::string server;  // "https://10.96.0.1:443" (http:// only for tests)
  std::string ca_pem;  // roots trusted for the server; empty: the system's default roots
  std::string client_cert_pem, client_key_pem;  // mutual TLS, both or neither
  std::string token;                            // static bearer token
  std::string token_file;  // bearer token re-read as it rotates (wins over `token`)
  bool insecure_skip_tls_verify = false;
  std::string origin;  // for logs: "kubeconfig /root/.kube/config (context kind-x)", "in-cluster"
};

}  // namespace zmesh::kube
