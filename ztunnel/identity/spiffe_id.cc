#include "identity/spiffe_id.h"

#include <openssl/x509v3.h>

#include <memory>

namespace zmesh::identity {
namespace {

constexpr std::string_view kScheme = "spiffe://";

// SPIFFE ID spec: trust domain is [a-z0-9._-]; path segments are [A-Za-z0-9._-].
bool valid_trust_domain(std::string_view td) {
  if (td.empty()) return false;
  for (char c : td) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool valid_segment(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* g) const { GENERAL_NAMES_free(g); }
};

}  // namespace

std::string SpiffeId::uri() const {
  return std::string(kScheme) + trust_domain + "/ns/" + namespace_ + "/sa/" + service_account;
}

Result<SpiffeId> SpiffeId::parse(std::string_view uri) {
  auto fail = [&](const std::string& why) {
    return make_error("invalid SPIFFE id \"" + std::string(uri) + "\": " + why);
  };
  if (!uri.starts_with(kScheme)) return fail("scheme must be spiffe://");
  std::string_view rest = uri.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view td = rest.substr(0, slash);
  if (td.empty()) return fail("empty trust domain");
  if (!valid_trust_domain(td)) return fail("trust domain may only hold [a-z0-9._-]");
  if (slash == std::string_view::npos) return fail("missing path /ns/<namespace>/sa/<account>");
  std::string_view path = rest.substr(slash + 1);

  std::string_view parts[4];
  for (int i = 0; i < 4; ++i) {
    size_t end = path.find('/');
    if (end == std::string_view::npos) {
      if (i != 3) return fail("path must be /ns/<namespace>/sa/<account>");
      parts[i] = path;
      path = {};
    } else {
      if (i == 3) return fail("path has segments after /sa/<account>");
      parts[i] = path.substr(0, end);
      path = path.substr(end + 1);
    }
  }
  if (parts[0] != "ns") return fail("path must start with /ns/");
  if (!valid_segment(parts[1])) return fail("bad namespace \"" + std::string(parts[1]) + "\"");
  if (parts[2] != "sa") return fail("expected /sa/ after the namespace");
  if (!valid_segment(parts[3])) {
    return fail("bad service account \"" + std::string(parts[3]) + "\"");
  }
  return SpiffeId{std::string(td), std::string(parts[1]), std::string(parts[3])};
}

Result<SpiffeId> spiffe_id_of(const X509* cert) {
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return make_error("certificate has no subjectAltName");
  std::string uri;
  int uris = 0;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type != GEN_URI) continue;
    const ASN1_IA5STRING* s = gn->d.uniformResourceIdentifier;
    uri.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
    ++uris;
  }
  if (uris == 0) return make_error("certificate has no URI SAN");
  if (uris > 1) return make_error("certificate has " + std::to_string(uris) + " URI SANs, not 1");
  return SpiffeId::parse(uri);
}

}  // namespace zmesh::identity
