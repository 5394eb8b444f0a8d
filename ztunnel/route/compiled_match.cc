#include "route/compiled_match.h"

#include <algorithm>

#include "route/uri_parts.h"

namespace zmesh::route {
namespace {

// Istio's proto comment: these keys of `headers` are ignored (the dedicated fields exist).
bool ignored_header_key(const std::string& key) {
  return key == "uri" || key == "scheme" || key == "method" || key == "authority";
}

// `@request.auth.claims.X` keys match JWT claims (Envoy dynamic metadata), not headers.
bool jwt_claim_key(const std::string& key) {
  return key.starts_with("@request.auth.claims");
}

std::optional<StringMatcher> compile_or_note(const state::StringMatch& m, bool ignore_case,
                                             std::vector<std::string>* errors, bool* failed) {
  std::string error;
  auto out = StringMatcher::compile(m, ignore_case, &error);
  if (!out) {
    *failed = true;
    if (errors != nullptr) errors->push_back(error);
  }
  return out;
}

}  // namespace

CompiledMatch CompiledMatch::compile(const state::HttpMatchRequest* match,
                                     std::vector<std::string>* errors) {
  CompiledMatch out;
  bool failed = false;
  const bool ignore_case = match != nullptr && match->ignore_uri_case;
  state::StringMatch uri{state::StringMatch::Kind::kPrefix, "/"};
  if (match != nullptr && match->uri) uri = *match->uri;
  out.path_ = compile_or_note(uri, ignore_case, errors, &failed);
  if (match == nullptr) return out;

  for (auto [name, field] :
       {std::pair{":method", &match->method}, std::pair{":authority", &match->authority},
        std::pair{":scheme", &match->scheme}}) {
    if (!*field) continue;
    out.headers_.push_back({name, compile_or_note(**field, false, errors, &failed), false});
  }
  for (auto [map, invert] :
       {std::pair{&match->headers, false}, std::pair{&match->without_headers, true}}) {
    for (const auto& [key, value] : *map) {
      if (ignored_header_key(key)) continue;
      if (jwt_claim_key(key)) {
        // No JWT metadata reaches routing (RequestAuthentication comes later): Envoy's
        // metadata matcher then fails, so `headers` never match and `withoutHeaders` always do.
        if (!invert) out.never_ = true;
        continue;
      }
      HeaderMatcher m{key, std::nullopt, invert};
      if (value) m.value = compile_or_note(*value, false, errors, &failed);
      out.headers_.push_back(std::move(m));
    }
  }
  for (const auto& [key, value] : match->query_params) {
    QueryMatcher m{key, std::nullopt};
    if (value) m.value = compile_or_note(*value, false, errors, &failed);
    out.query_.push_back(std::move(m));
  }
  out.port_ = match->port;
  // Istio's sourceMatchHTTP: a match naming gateways applies to the mesh only if one of them
  // is "mesh", and then its sourceLabels/sourceNamespace are not consulted.
  if (!match->gateways.empty()) {
    bool mesh =
        std::find(match->gateways.begin(), match->gateways.end(), "mesh") != match->gateways.end();
    if (!mesh) out.never_ = true;
    out.check_source_ = false;
  }
  out.source_labels_ = match->source_labels;
  out.source_namespace_ = match->source_namespace;
  if (failed) out.never_ = true;
  return out;
}

bool CompiledMatch::header_matches(const HeaderMatcher& m, const RequestView& r,
                                   std::string& scratch) const {
  auto value = r.header(m.name, scratch);
  if (!m.value) return value.has_value() != m.invert;  // presence, or absence when inverted
  // withoutHeaders reads a missing header as "" (Istio sets treat_missing_header_as_empty).
  if (!value) {
    if (!m.invert) return false;
    value = std::string_view();
  }
  return m.value->matches(*value) != m.invert;
}

bool CompiledMatch::source_matches(const RequestView& r) const {
  if (!check_source_) return true;
  if (!source_namespace_.empty() && source_namespace_ != r.source_namespace) return false;
  for (const auto& [key, value] : source_labels_) {
    if (r.source_labels == nullptr) return false;
    auto it = r.source_labels->find(key);
    if (it == r.source_labels->end() || it->second != value) return false;
  }
  return true;
}

bool CompiledMatch::matches(const RequestView& r) const {
  if (never_) return false;
  if (port_ && *port_ != r.destination_port) return false;
  if (!path_->matches(path_without_query(r.path))) return false;
  std::string scratch;
  for (const HeaderMatcher& m : headers_) {
    if (!header_matches(m, r, scratch)) return false;
  }
  for (const QueryMatcher& m : query_) {
    auto value = first_query_value(r.path, m.name);
    if (!value) return false;
    if (m.value && !m.value->matches(*value)) return false;
  }
  return source_matches(r);
}

size_t CompiledMatch::matched_length(std::string_view path) const {
  if (path_ && path_->kind() == state::StringMatch::Kind::kPrefix) return path_->value().size();
  return path_without_query(path).size();
}

}  // namespace zmesh::route
