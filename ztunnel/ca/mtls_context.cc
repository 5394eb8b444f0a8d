#include "ca/mtls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>

namespace zmesh::ca {
namespace asio = boost::asio;

Result<std::shared_ptr<asio::ssl::context>> make_mtls_context(TlsRole role,
                                                              const IssuedCredentials& creds) {
  auto ctx = std::make_shared<asio::ssl::context>(
      role == TlsRole::kServer ? asio::ssl::context::tls_server : asio::ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  auto fail = [](const std::string& what) {
    return identity::openssl_error("TLS context: " + what);
  };
  if (!SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION)) return make_error(fail("TLS 1.3"));
  if (creds.chain.empty() || SSL_CTX_use_certificate(native, creds.chain.front().get()) != 1)
    return make_error(fail("certificate"));
  for (size_t i = 1; i < creds.chain.size(); ++i)
    if (SSL_CTX_add1_chain_cert(native, creds.chain[i].get()) != 1)
      return make_error(fail("intermediate certificate"));
  if (SSL_CTX_use_PrivateKey(native, creds.key.get()) != 1 ||
      SSL_CTX_check_private_key(native) != 1)
    return make_error(fail("private key"));
  X509_STORE* store = SSL_CTX_get_cert_store(native);
  if (creds.roots.empty()) return make_error("TLS context: no trust roots");
  for (const auto& root : creds.roots)
    if (X509_STORE_add_cert(store, root.get()) != 1) return make_error(fail("trust root"));
  int mode = SSL_VERIFY_PEER;
  if (role == TlsRole::kServer) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(native, mode, nullptr);
  return ctx;
}

Result<PeerCertificate> verified_peer(const SSL* ssl) {
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (!leaf) return make_error("the peer presented no certificate");
  if (SSL_get_verify_result(ssl) != X509_V_OK)
    return make_error(std::string("peer certificate not verified: ") +
                      X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
  auto id = identity::spiffe_id_of(leaf);
  if (!id) return id.error();
  PeerCertificate peer{std::move(*id), {}};
  X509_NAME* subject = X509_get_subject_name(leaf);
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index >= 0) {
    unsigned char* utf8 = nullptr;
    int len =
        ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
    if (len < 0) return make_error(identity::openssl_error("peer certificate common name"));
    peer.common_name.assign(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
    OPENSSL_free(utf8);
  }
  return peer;
}

}  // namespace zmesh::ca
