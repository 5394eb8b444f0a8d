#include "identity/certificate_authority.h"

#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "identity/ca_files.h"
#include "identity/certificate.h"
#include "identity/x509_builder.h"

namespace zmesh::identity {
namespace {

using Clock = std::chrono::system_clock;
// Tolerates peers whose clocks run a little behind ours.
constexpr auto kClockSkew = std::chrono::seconds(60);
constexpr auto kEmbeddedRootLifetime = std::chrono::hours(24 * 365 * 10);

struct StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }  // borrowed certs
};

// The signing material as read from disk, before it becomes a CertificateAuthority.
struct CaMaterial {
  X509Ptr cert;
  EvpPkeyPtr key;
  std::vector<X509Ptr> intermediates;  // ca-cert first unless it is a root
  std::vector<X509Ptr> roots;
};

Result<std::vector<X509Ptr>> load_certs(const std::string& path) {
  auto pem = read_file(path);
  if (!pem) return pem.error();
  auto certs = parse_pem_certs(*pem);
  if (!certs) return make_error(path + ": " + certs.error().message);
  return certs;
}

Result<EvpPkeyPtr> load_key(const std::string& path) {
  auto pem = read_file(path);
  if (!pem) return pem.error();
  auto key = parse_pem_key(*pem);
  if (!key) return make_error(path + ": " + key.error().message);
  return key;
}

bool is_self_signed(X509* cert) {
  return X509_self_signed(cert, 0) == 1;
}

bool contains(const std::vector<X509Ptr>& certs, const X509* cert) {
  return std::any_of(certs.begin(), certs.end(),
                     [&](const X509Ptr& c) { return X509_cmp(c.get(), cert) == 0; });
}

// The key signs what ca-cert.pem says it signs, and ca-cert.pem may sign certificates.
Result<void> check_signing_pair(const CaMaterial& m, const std::string& cert_path,
                                const std::string& key_path) {
  if (X509_check_private_key(m.cert.get(), m.key.get()) != 1) {
    return make_error(openssl_error(key_path + " does not match the certificate in " + cert_path));
  }
  if (X509_check_ca(m.cert.get()) < 1) {
    return make_error(cert_path + ": not a CA certificate (needs basicConstraints CA:TRUE" +
                      " and keyCertSign)");
  }
  return ok();
}

// Issued leaves must verify against the roots through the intermediates we send.
Result<void> check_chains_to_roots(const CaMaterial& m, const std::string& dir) {
  X509StorePtr store(X509_STORE_new());
  std::unique_ptr<STACK_OF(X509), X509StackFree> untrusted(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) return make_error(openssl_error("verify CA chain"));
  for (const auto& r : m.roots) X509_STORE_add_cert(store.get(), r.get());
  for (const auto& c : m.intermediates) sk_X509_push(untrusted.get(), c.get());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), m.cert.get(), untrusted.get()) != 1) {
    return make_error(openssl_error("verify CA chain"));
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    return make_error(join_path(dir, kCaCertFile) + " does not chain to " +
                      join_path(dir, kRootCertFile) + " (via " + kCertChainFile +
                      "): " + X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  }
  return ok();
}

Result<void> check_csr_key(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC") != 1) {
    const char* type = EVP_PKEY_get0_type_name(key);
    return make_error(std::string("CSR key must be ECDSA P-256, not ") + (type ? type : "?"));
  }
  char group[80] = {};
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1) {
    return make_error(openssl_error("CSR key has no curve"));
  }
  int nid = OBJ_sn2nid(group);
  if (nid == NID_undef) nid = EC_curve_nist2nid(group);
  if (nid != NID_X9_62_prime256v1) {
    return make_error(std::string("CSR key must be ECDSA P-256, not curve ") + group);
  }
  return ok();
}

Result<CaMaterial> make_root(const std::string& trust_domain, std::chrono::seconds lifetime) {
  auto key = generate_p256_key();
  if (!key) return key.error();
  auto now = Clock::now();
  CertSpec spec{.common_name = "zmesh root CA",
                .organization = trust_domain,
                .uri_sans = {},
                .is_ca = true,
                .not_before = now - kClockSkew,
                .not_after = now + lifetime};
  auto cert = build_certificate(spec, key->get(), nullptr, key->get());
  if (!cert) return cert.error();
  CaMaterial m;
  m.roots.push_back(share(cert->get()));
  m.cert = std::move(*cert);
  m.key = std::move(*key);
  return m;
}

Result<void> write_files(const std::string& dir, const CaMaterial& m, bool plugin_layout) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("create " + dir + ": " + ec.message());
  std::string cert_pem = to_pem(m.cert.get());
  // The key first: a crash before the root is written leaves "no root yet" (recreated on the
  // next start), never a root without its key.
  if (auto r = write_file_atomic(join_path(dir, kCaKeyFile), key_to_pem(m.key.get()), 0600); !r) {
    return r;
  }
  if (plugin_layout) {
    for (const char* name : {kCaCertFile, kCertChainFile}) {
      if (auto r = write_file_atomic(join_path(dir, name), cert_pem, 0644); !r) return r;
    }
  }
  return write_file_atomic(join_path(dir, kRootCertFile), cert_pem, 0644);
}

}  // namespace

struct CertificateAuthority::Impl {
  std::string dir;
  std::string fingerprint;
  CaMaterial m;
};

CertificateAuthority::CertificateAuthority() : impl_(std::make_unique<Impl>()) {}
CertificateAuthority::~CertificateAuthority() = default;

Result<std::unique_ptr<CertificateAuthority>> CertificateAuthority::load_plugin(
    const std::string& dir) {
  std::string fp = fingerprint(dir);  // before reading: a concurrent rewrite shows up later
  std::string cert_path = join_path(dir, kCaCertFile);
  std::string key_path = join_path(dir, kCaKeyFile);
  std::string chain_path = join_path(dir, kCertChainFile);
  auto certs = load_certs(cert_path);
  if (!certs) return certs.error();
  auto key = load_key(key_path);
  if (!key) return key.error();
  auto roots = load_certs(join_path(dir, kRootCertFile));
  if (!roots) return roots.error();
  // Chain candidates: anything after the signing cert in ca-cert.pem, then cert-chain.pem
  // (optional when ca-cert.pem is the root itself).
  std::vector<X509Ptr> chain;
  for (size_t i = 1; i < certs->size(); ++i) chain.push_back(std::move((*certs)[i]));
  if (file_exists(chain_path)) {
    auto c = load_certs(chain_path);
    if (!c) return c.error();
    for (auto& x : *c) chain.push_back(std::move(x));
  }

  CaMaterial m{std::move(certs->front()), std::move(*key), {}, std::move(*roots)};
  if (auto r = check_signing_pair(m, cert_path, key_path); !r) return r.error();
  if (!contains(m.roots, m.cert.get()) && !is_self_signed(m.cert.get())) {
    m.intermediates.push_back(share(m.cert.get()));
  }
  for (auto& c : chain) {
    if (X509_cmp(c.get(), m.cert.get()) == 0 || contains(m.roots, c.get()) ||
        contains(m.intermediates, c.get()) || is_self_signed(c.get())) {
      continue;  // ca-cert is already first; roots are the peer's business
    }
    m.intermediates.push_back(std::move(c));
  }
  if (!contains(m.roots, m.cert.get())) {
    if (auto r = check_chains_to_roots(m, dir); !r) return r.error();
  }

  std::unique_ptr<CertificateAuthority> ca(new CertificateAuthority());
  ca->impl_->dir = dir;
  ca->impl_->fingerprint = std::move(fp);
  ca->impl_->m = std::move(m);
  return ca;
}

Result<std::unique_ptr<CertificateAuthority>> CertificateAuthority::load_embedded(
    const std::string& dir) {
  std::string fp = fingerprint(dir);
  std::string cert_path = join_path(dir, kRootCertFile);
  std::string key_path = join_path(dir, kCaKeyFile);
  auto roots = load_certs(cert_path);
  if (!roots) return roots.error();
  auto key = load_key(key_path);
  if (!key) return key.error();
  // The first certificate signs; any others are older roots still trusted.
  CaMaterial m{share(roots->front().get()), std::move(*key), {}, std::move(*roots)};
  if (auto r = check_signing_pair(m, cert_path, key_path); !r) return r.error();

  std::unique_ptr<CertificateAuthority> ca(new CertificateAuthority());
  ca->impl_->dir = dir;
  ca->impl_->fingerprint = std::move(fp);
  ca->impl_->m = std::move(m);
  return ca;
}

Result<std::unique_ptr<CertificateAuthority>> CertificateAuthority::load_or_create_embedded(
    const std::string& dir, const std::string& trust_domain) {
  if (!file_exists(join_path(dir, kRootCertFile))) {
    if (!file_exists(dir)) {  // a state directory of ours: private
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) return make_error("create " + dir + ": " + ec.message());
      ::chmod(dir.c_str(), 0700);
    }
    auto m = make_root(trust_domain, kEmbeddedRootLifetime);
    if (!m) return m.error();
    if (auto r = write_files(dir, *m, false); !r) return r.error();
  }
  return load_embedded(dir);
}

Result<void> CertificateAuthority::create_plugin_dir(const std::string& dir,
                                                     const std::string& trust_domain,
                                                     std::chrono::seconds lifetime) {
  std::string key_path = join_path(dir, kCaKeyFile);
  if (file_exists(key_path)) return make_error(key_path + " already exists; not overwriting it");
  if (lifetime.count() <= 0) return make_error("CA lifetime must be positive");
  auto m = make_root(trust_domain, lifetime);
  if (!m) return m.error();
  return write_files(dir, *m, true);
}

Result<SignedChain> CertificateAuthority::sign(std::string_view csr_pem, const SpiffeId& identity,
                                               std::chrono::seconds ttl) const {
  if (ttl.count() <= 0) return make_error("certificate ttl must be positive");
  auto valid_id = SpiffeId::parse(identity.uri());
  if (!valid_id) return valid_id.error();

  BioPtr bio(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
  X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) return make_error(openssl_error("bad CSR"));
  EVP_PKEY* pub = X509_REQ_get0_pubkey(req.get());
  if (pub == nullptr) return make_error(openssl_error("CSR has no public key"));
  if (X509_REQ_verify(req.get(), pub) != 1) {
    return make_error(openssl_error("CSR signature does not verify"));
  }
  if (auto r = check_csr_key(pub); !r) return r.error();

  const CaMaterial& m = impl_->m;
  auto now = Clock::now();
  auto ca_expiry = not_after(m.cert.get());
  if (ca_expiry <= now) return make_error("CA certificate in " + impl_->dir + " has expired");
  CertSpec spec{.common_name = {},
                .organization = {},
                .uri_sans = {identity.uri()},
                .is_ca = false,
                .not_before = now - kClockSkew,
                .not_after = std::min<Clock::time_point>(now + ttl, ca_expiry)};
  auto leaf = build_certificate(spec, pub, m.cert.get(), m.key.get());
  if (!leaf) return leaf.error();

  SignedChain out;
  out.chain.push_back(std::move(*leaf));
  for (const auto& c : m.intermediates) out.chain.push_back(share(c.get()));
  for (const auto& c : m.roots) out.roots.push_back(share(c.get()));
  return out;
}

const std::vector<X509Ptr>& CertificateAuthority::roots() const {
  return impl_->m.roots;
}

const X509* CertificateAuthority::signing_cert() const {
  return impl_->m.cert.get();
}

const std::string& CertificateAuthority::dir() const {
  return impl_->dir;
}

std::string CertificateAuthority::fingerprint(const std::string& dir) {
  std::string out;
  for (const char* name : {kCaCertFile, kCaKeyFile, kRootCertFile, kCertChainFile}) {
    struct stat st;
    out += name;
    if (::stat(join_path(dir, name).c_str(), &st) != 0) {
      out += ":-;";
      continue;
    }
    // The inode catches rename-based rewrites even within one mtime tick.
    out += ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ";";
  }
  return out;
}

const std::string& CertificateAuthority::loaded_fingerprint() const {
  return impl_->fingerprint;
}

}  // namespace zmesh::identity
