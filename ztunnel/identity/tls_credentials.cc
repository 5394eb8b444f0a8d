#include "identity/tls_credentials.h"

#include <boost/asio/ssl/verify_context.hpp>
#include <exception>

namespace zmesh::identity {
namespace {

namespace ssl = boost::asio::ssl;

constexpr unsigned char kAlpnH2[] = {2, 'h', '2'};

// Server side: h2 or nothing. A client offering only other protocols gets an alert.
int select_h2(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
              unsigned int inlen, void*) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kAlpnH2, sizeof(kAlpnH2), in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// Runs after OpenSSL's own checks (chain to our roots, validity times); at the leaf it
// additionally requires a SPIFFE id in our trust domain.
bool verify_peer(const std::string& trust_domain, bool preverified, ssl::verify_context& vctx) {
  if (!preverified) return false;
  X509_STORE_CTX* ctx = vctx.native_handle();
  if (X509_STORE_CTX_get_error_depth(ctx) != 0) return true;
  auto id = spiffe_id_of(X509_STORE_CTX_get_current_cert(ctx));
  if (!id || id->trust_domain != trust_domain) {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return false;
  }
  return true;
}

Result<std::shared_ptr<ssl::context>> make_context(const CertifiedKey& cert,
                                                   const std::string& trust_domain, bool server) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls);
  SSL_CTX* h = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(h, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(h, TLS1_3_VERSION) != 1) {
    return make_error(openssl_error("TLS 1.3 only"));
  }
  // Send exactly leaf + intermediates; OpenSSL would otherwise append the root from the store.
  SSL_CTX_set_mode(h, SSL_MODE_NO_AUTO_CHAIN);
  if (SSL_CTX_use_certificate(h, cert.leaf.get()) != 1) {
    return make_error(openssl_error("TLS certificate"));
  }
  for (const auto& c : cert.intermediates) {
    if (SSL_CTX_add1_chain_cert(h, c.get()) != 1) {
      return make_error(openssl_error("TLS certificate chain"));
    }
  }
  if (SSL_CTX_use_PrivateKey(h, cert.key.get()) != 1 || SSL_CTX_check_private_key(h) != 1) {
    return make_error(openssl_error("TLS private key"));
  }
  X509StorePtr store(X509_STORE_new());
  if (!store) return make_error(openssl_error("TLS trust store"));
  for (const auto& r : cert.roots) {
    if (X509_STORE_add_cert(store.get(), r.get()) != 1) {
      return make_error(openssl_error("TLS trust store"));
    }
  }
  SSL_CTX_set_cert_store(h, store.release());  // the context owns it now

  ctx->set_verify_mode(server ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                              : ssl::verify_peer);
  ctx->set_verify_callback([trust_domain](bool preverified, ssl::verify_context& vctx) {
    return verify_peer(trust_domain, preverified, vctx);
  });
  if (server) {
    SSL_CTX_set_alpn_select_cb(h, select_h2, nullptr);
    // Our clients never resume sessions: tickets would only cost a signature each.
    SSL_CTX_set_num_tickets(h, 0);
  } else if (SSL_CTX_set_alpn_protos(h, kAlpnH2, sizeof(kAlpnH2)) != 0) {  // 0 is success
    return make_error(openssl_error("TLS ALPN"));
  }
  return ctx;
}

}  // namespace

Result<std::shared_ptr<const TlsCredentials>> make_tls_credentials(
    std::shared_ptr<const CertifiedKey> cert, const std::string& trust_domain) {
  if (!cert || !cert->leaf || !cert->key) return make_error("no certificate");
  try {
    auto server = make_context(*cert, trust_domain, true);
    if (!server) return server.error();
    auto client = make_context(*cert, trust_domain, false);
    if (!client) return client.error();
    return std::shared_ptr<const TlsCredentials>(
        new TlsCredentials{std::move(cert), std::move(*server), std::move(*client)});
  } catch (const std::exception& e) {  // asio's context reports failures by throwing
    return make_error(std::string("TLS context: ") + e.what());
  }
}

Result<SpiffeId> peer_identity(const SSL* ssl) {
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr) return make_error("peer presented no certificate");
  long result = SSL_get_verify_result(ssl);
  if (result != X509_V_OK) {
    return make_error(std::string("peer certificate not verified: ") +
                      X509_verify_cert_error_string(result));
  }
  return spiffe_id_of(peer);
}

}  // namespace zmesh::identity
