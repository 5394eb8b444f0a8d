#include "kube/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>

namespace zmesh::kube {

namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> make_tls_context(const Credentials& c) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (c.insecure_skip_tls_verify) {
    ctx->set_verify_mode(ssl::verify_none);
  } else {
    ctx->set_verify_mode(ssl::verify_peer);
    if (c.ca_pem.empty()) {
      ctx->set_default_verify_paths(ec);
      if (ec) return make_error("system CA roots: " + ec.message());
    } else {
      ctx->add_certificate_authority(boost::asio::buffer(c.ca_pem), ec);
      if (ec) return make_error("certificate-authority: " + ec.message());
    }
  }
  if (!c.client_cert_pem.empty()) {
    ctx->use_certificate_chain(boost::asio::buffer(c.client_cert_pem), ec);
    if (ec) return make_error("client-certificate: " + ec.message());
    ctx->use_private_key(boost::asio::buffer(c.client_key_pem), ssl::context::pem, ec);
    if (ec) return make_error("client-key: " + ec.message());
  }
  return ctx;
}

Result<void> verify_server_name(SSL* ssl, const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (!ec) {  // an IP address: matched against the certificate's IP SANs, no SNI
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1)
      return make_error("cannot verify server address " + host);
    return ok();
  }
  if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1 || SSL_set1_host(ssl, host.c_str()) != 1)
    return make_error("cannot verify server name " + host);
  return ok();
}

}  // namespace zmesh::kube
