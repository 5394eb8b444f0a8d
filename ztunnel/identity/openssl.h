// RAII owners for OpenSSL objects, and OpenSSL's error queue as text.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace zmesh::identity {

template <auto Free>
struct OpensslFree {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpensslFree<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, OpensslFree<X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, OpensslFree<X509_REQ_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpensslFree<X509_STORE_free>>;
using BioPtr = std::unique_ptr<BIO, OpensslFree<BIO_free_all>>;

// A new reference to `cert` (X509_up_ref), for sharing one certificate between owners.
X509Ptr share(X509* cert);

// "what: <OpenSSL's queued errors>" (and clears the queue).
std::string openssl_error(const std::string& what);

}  // namespace zmesh::identity
