#include "route/cors.h"

namespace zmesh::route {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

std::string_view header_or_empty(const RequestView& r, std::string_view name,
                                 std::string& scratch) {
  return r.header(name, scratch).value_or(std::string_view());
}

}  // namespace

CompiledCors CompiledCors::compile(const state::CorsPolicy& policy,
                                   std::vector<std::string>* errors) {
  CompiledCors out;
  out.policy_ = policy;
  std::vector<state::StringMatch> matches = policy.allow_origins;
  if (matches.empty()) {
    for (const std::string& o : policy.allow_origin) {
      matches.push_back({state::StringMatch::Kind::kExact, o});
    }
  }
  for (const state::StringMatch& m : matches) {
    std::string error;
    if (auto compiled = StringMatcher::compile(m, false, &error)) {
      out.origins_.push_back(std::move(*compiled));
    } else if (errors != nullptr) {
      errors->push_back("allowOrigins " + error);
    }
  }
  return out;
}

bool CompiledCors::origin_allowed(std::string_view origin) const {
  for (const StringMatcher& m : origins_) {
    if (m.matches("*") || m.matches(origin)) return true;
  }
  return false;
}

bool is_cors_preflight(const RequestView& request) {
  std::string a, b;
  return request.method == "OPTIONS" && !header_or_empty(request, "origin", a).empty() &&
         !header_or_empty(request, "access-control-request-method", b).empty();
}

CorsDecision decide_cors(const CompiledCors& cors, const RequestView& request) {
  CorsDecision d;
  std::string scratch;
  const std::string origin(header_or_empty(request, "origin", scratch));
  if (origin.empty()) return d;
  const bool allowed = cors.origin_allowed(origin);
  d.verdict = CorsVerdict::kForward;
  if (allowed) d.allowed_origin = origin;
  if (!is_cors_preflight(request)) return d;

  const state::CorsPolicy& p = cors.policy();
  if (!allowed && p.unmatched_preflights != state::UnmatchedPreflights::kIgnore) return d;
  d.verdict = CorsVerdict::kAnswerPreflight;
  d.allowed_origin.clear();
  HeaderList& h = d.preflight_headers;
  if (allowed) h.set("access-control-allow-origin", origin);
  if (p.allow_credentials.value_or(false)) h.set("access-control-allow-credentials", "true");
  // Envoy answers a literal "*" by echoing what the browser asked for.
  if (std::string methods = join(p.allow_methods); !methods.empty()) {
    h.set("access-control-allow-methods",
          methods == "*"
              ? std::string(header_or_empty(request, "access-control-request-method", scratch))
              : methods);
  }
  if (std::string headers = join(p.allow_headers); !headers.empty()) {
    h.set("access-control-allow-headers",
          headers == "*"
              ? std::string(header_or_empty(request, "access-control-request-headers", scratch))
              : headers);
  }
  if (p.max_age) {
    h.set("access-control-max-age", std::to_string(p.max_age->count() / 1000));  // seconds
  }
  return d;
}

void add_cors_response_headers(const CompiledCors& cors, const CorsDecision& decision,
                               HeaderList& response_headers) {
  if (decision.verdict != CorsVerdict::kForward || decision.allowed_origin.empty()) return;
  const state::CorsPolicy& p = cors.policy();
  response_headers.set("access-control-allow-origin", decision.allowed_origin);
  if (p.allow_credentials.value_or(false)) {
    response_headers.set("access-control-allow-credentials", "true");
  }
  if (std::string expose = join(p.expose_headers); !expose.empty()) {
    response_headers.set("access-control-expose-headers", expose);
  }
}

}  // namespace zmesh::route
