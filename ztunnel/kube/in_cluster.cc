#include "kube/in_cluster.h"

#include "kube/text_file.h"

namespace zmesh::kube {

Result<Credentials> in_cluster_credentials(const std::function<const char*(const char*)>& getenv,
                                           const std::string& service_account_dir) {
  const char* host = getenv("KUBERNETES_SERVICE_HOST");
  const char* port = getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0')
    return make_error(
        "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (not in a "
        "pod?)");
  Credentials c;
  c.origin = "in-cluster service account";
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // an IPv6 service address
  c.server = "https://" + h + ":" + port;
  auto ca = read_text_file(service_account_dir + "/ca.crt");
  if (!ca) return make_error("in-cluster: " + ca.error().message);
  c.ca_pem = *ca;
  c.token_file = service_account_dir + "/token";
  // Read once now so a missing token fails at start, not on the first request.
  if (auto token = read_text_file(c.token_file); !token)
    return make_error("in-cluster: " + token.error().message);
  return c;
}

}  // namespace zmesh::kube
