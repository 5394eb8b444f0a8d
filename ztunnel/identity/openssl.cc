#include "identity/openssl.h"

#include <openssl/err.h>

namespace zmesh::identity {

X509Ptr share(X509* cert) {
  if (cert != nullptr) X509_up_ref(cert);
  return X509Ptr(cert);
}

std::string openssl_error(const std::string& what) {
  std::string out = what;
  const char* sep = ": ";
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    out += sep;
    out += buf;
    sep = "; ";
  }
  return out;
}

}  // namespace zmesh::identity
