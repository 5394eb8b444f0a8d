#include "identity/csr.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "identity/x509_builder.h"

namespace zmesh::identity {
namespace {

struct ExtensionStackFree {
  void operator()(STACK_OF(X509_EXTENSION) * s) const {
    sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
  }
};

}  // namespace

Result<KeyAndCsr> make_key_and_csr(const SpiffeId& id) {
  auto key = generate_p256_key();
  if (!key) return key.error();
  X509ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_REQ_set_pubkey(req.get(), key->get()) != 1) {
    return make_error(openssl_error("new CSR"));
  }
  std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionStackFree> exts(sk_X509_EXTENSION_new_null());
  X509ExtensionPtr san = make_uri_san_extension({id.uri()}, true);
  if (!exts || !san || sk_X509_EXTENSION_push(exts.get(), san.get()) == 0) {
    return make_error(openssl_error("CSR subjectAltName"));
  }
  san.release();  // owned by the stack now
  if (X509_REQ_add_extensions(req.get(), exts.get()) != 1 ||
      X509_REQ_sign(req.get(), key->get(), EVP_sha256()) <= 0) {
    return make_error(openssl_error("sign CSR"));
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) {
    return make_error(openssl_error("write CSR"));
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return KeyAndCsr{std::move(*key), std::string(data, static_cast<size_t>(n))};
}

}  // namespace zmesh::identity
