#include "ca/sign_protocol.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "identity/certificate.h"

namespace zmesh::ca {
namespace {

using nlohmann::json;
using X509ReqPtr = identity::X509ReqPtr;

Result<void> check_csr(const std::string& pem) {
  identity::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509ReqPtr req(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!req) {
    ERR_clear_error();
    return make_error("csr: not a PEM certificate request");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (!key || X509_REQ_verify(req.get(), key) != 1) {
    ERR_clear_error();
    return make_error("csr: signature does not verify");
  }
  return ok();
}

Result<std::vector<identity::X509Ptr>> pem_array(const json& doc, const char* field) {
  auto it = doc.find(field);
  if (it == doc.end() || !it->is_array() || it->empty())
    return make_error(std::string(field) + ": expected a non-empty array of PEM strings");
  std::vector<identity::X509Ptr> certs;
  for (const auto& item : *it) {
    if (!item.is_string()) return make_error(std::string(field) + ": expected PEM strings");
    auto parsed = identity::parse_pem_certs(item.get_ref<const std::string&>());
    if (!parsed) return make_error(std::string(field) + ": " + parsed.error().message);
    for (auto& c : *parsed) certs.push_back(std::move(c));
  }
  return certs;
}

json pem_strings(const std::vector<identity::X509Ptr>& certs) {
  json out = json::array();
  for (const auto& c : certs) out.push_back(identity::to_pem(c.get()));
  return out;
}

}  // namespace

Result<SignRequest> parse_sign_request(std::string_view body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return make_error("body: expected a JSON object");
  SignRequest req;
  auto csr = doc.find("csr");
  if (csr == doc.end() || !csr->is_string()) return make_error("csr: expected a PEM string");
  req.csr_pem = csr->get<std::string>();
  if (auto r = check_csr(req.csr_pem); !r) return r.error();
  auto id = doc.find("identity");
  if (id == doc.end() || !id->is_string())
    return make_error("identity: expected a spiffe:// URI string");
  auto parsed = identity::SpiffeId::parse(id->get_ref<const std::string&>());
  if (!parsed) return make_error("identity: " + parsed.error().message);
  req.identity = std::move(*parsed);
  if (auto ttl = doc.find("ttl_seconds"); ttl != doc.end()) {
    if (!ttl->is_number_integer() || ttl->get<int64_t>() <= 0)
      return make_error("ttl_seconds: expected a positive integer");
    req.ttl = std::chrono::seconds(ttl->get<int64_t>());
  }
  return req;
}

std::string sign_response_json(const identity::SignedChain& signed_chain) {
  return json{{"cert_chain", pem_strings(signed_chain.chain)},
              {"roots", pem_strings(signed_chain.roots)}}
      .dump();
}

std::string error_json(const std::string& message) {
  return json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string sign_request_json(const std::string& csr_pem, const identity::SpiffeId& identity,
                              std::chrono::seconds ttl) {
  return json{{"csr", csr_pem}, {"identity", identity.uri()}, {"ttl_seconds", ttl.count()}}.dump();
}

Result<identity::SignedChain> parse_sign_response(std::string_view body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return make_error("response is not a JSON object");
  identity::SignedChain out;
  auto chain = pem_array(doc, "cert_chain");
  if (!chain) return make_error("response " + chain.error().message);
  auto roots = pem_array(doc, "roots");
  if (!roots) return make_error("response " + roots.error().message);
  out.chain = std::move(*chain);
  out.roots = std::move(*roots);
  return out;
}

std::string error_message_of(std::string_view body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_string())
    return doc["error"].get<std::string>();
  constexpr size_t kMax = 200;
  return std::string(body.substr(0, kMax));
}

}  // namespace zmesh::ca
