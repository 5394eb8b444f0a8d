#include "identity/certificate.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cctype>
#include <ctime>

namespace zmesh::identity {
namespace {

using Clock = std::chrono::system_clock;

BioPtr mem_bio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

Clock::time_point to_time_point(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return Clock::from_time_t(timegm(&tm));
}

std::string rfc3339(Clock::time_point t) {
  std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string name_string(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  return bio_string(bio.get());
}

nlohmann::json cert_json(const X509* cert) {
  return {{"subject", name_string(X509_get_subject_name(cert))},
          {"issuer", name_string(X509_get_issuer_name(cert))},
          {"serial", serial_hex(cert)},
          {"not_before", rfc3339(not_before(cert))},
          {"not_after", rfc3339(not_after(cert))}};
}

struct OpensslStringFree {
  void operator()(char* p) const { OPENSSL_free(p); }
};

// PEM_read_bio_PrivateKey would prompt on the terminal for an encrypted key.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

}  // namespace

std::string CertifiedKey::chain_pem() const {
  std::string out = to_pem(leaf.get());
  out += to_pem(intermediates);
  return out;
}

nlohmann::json CertifiedKey::to_json() const {
  nlohmann::json chain = nlohmann::json::array();
  chain.push_back(cert_json(leaf.get()));
  for (const auto& c : intermediates) chain.push_back(cert_json(c.get()));
  nlohmann::json root_list = nlohmann::json::array();
  for (const auto& c : roots) root_list.push_back(cert_json(c.get()));
  return {{"identity", identity.uri()},        {"serial", serial},
          {"not_before", rfc3339(not_before)}, {"not_after", rfc3339(not_after)},
          {"chain", std::move(chain)},         {"roots", std::move(root_list)}};
}

Result<CertifiedKey> make_certified_key(EvpPkeyPtr key, std::vector<X509Ptr> chain,
                                        std::vector<X509Ptr> roots) {
  if (!key) return make_error("no private key");
  if (chain.empty() || !chain.front()) return make_error("empty certificate chain");
  if (roots.empty()) return make_error("no trust roots");
  if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
    return make_error(openssl_error("issued certificate does not match the private key"));
  }
  auto id = spiffe_id_of(chain.front().get());
  if (!id) return make_error("issued certificate: " + id.error().message);

  CertifiedKey ck;
  ck.identity = std::move(*id);
  ck.key = std::move(key);
  ck.leaf = std::move(chain.front());
  for (size_t i = 1; i < chain.size(); ++i) ck.intermediates.push_back(std::move(chain[i]));
  ck.roots = std::move(roots);
  ck.serial = serial_hex(ck.leaf.get());
  ck.not_before = identity::not_before(ck.leaf.get());
  ck.not_after = identity::not_after(ck.leaf.get());
  return ck;
}

Result<std::vector<X509Ptr>> parse_pem_certs(std::string_view pem) {
  ERR_clear_error();
  BioPtr bio = mem_bio(pem);
  std::vector<X509Ptr> certs;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(c);
  // The loop ends at end of input (PEM_R_NO_START_LINE) or on a broken certificate.
  unsigned long err = ERR_peek_last_error();
  if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
    ERR_clear_error();
    err = 0;
  }
  if (err != 0) return make_error(openssl_error("bad PEM certificate"));
  if (certs.empty()) return make_error("no PEM certificate found");
  return certs;
}

Result<EvpPkeyPtr> parse_pem_key(std::string_view pem) {
  ERR_clear_error();
  BioPtr bio = mem_bio(pem);
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) return make_error(openssl_error("no usable PEM private key"));
  return key;
}

std::string to_pem(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return bio_string(bio.get());
}

std::string to_pem(const std::vector<X509Ptr>& certs) {
  std::string out;
  for (const auto& c : certs) out += to_pem(c.get());
  return out;
}

std::string key_to_pem(const EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return bio_string(bio.get());
}

Clock::time_point not_before(const X509* cert) {
  return to_time_point(X509_get0_notBefore(cert));
}

Clock::time_point not_after(const X509* cert) {
  return to_time_point(X509_get0_notAfter(cert));
}

std::string serial_hex(const X509* cert) {
  std::unique_ptr<BIGNUM, OpensslFree<BN_free>> bn(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!bn) return "";
  std::unique_ptr<char, OpensslStringFree> hex(BN_bn2hex(bn.get()));
  std::string out = hex ? hex.get() : "";
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace zmesh::identity
