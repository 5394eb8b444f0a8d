// CorsPolicy as Envoy's CORS filter enforces Istio's translation. A request with a non-empty
// Origin is a CORS request; OPTIONS with a non-empty Access-Control-Request-Method is a
// preflight, which an allowed origin gets answered locally (200 with the policy's headers).
// A disallowed origin's preflight is forwarded (unmatchedPreflights UNSPECIFIED or FORWARD)
// or answered 200 without Access-Control-Allow-Origin (IGNORE); its other requests pass
// through untouched.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "route/header_list.h"
#include "route/request_view.h"
#include "route/string_matcher.h"
#include "state/http_route.h"

namespace zmesh::route {

class CompiledCors {
 public:
  // allowOrigins when given, else the deprecated exact allowOrigin list (as Istio picks).
  static CompiledCors compile(const state::CorsPolicy& policy, std::vector<std::string>* errors);

  // Envoy also accepts any origin when a matcher matches the literal "*".
  bool origin_allowed(std::string_view origin) const;
  const state::CorsPolicy& policy() const { return policy_; }

 private:
  state::CorsPolicy policy_;
  std::vector<StringMatcher> origins_;
};

enum class CorsVerdict {
  kNotCors,          // no Origin: CORS does not apply
  kForward,          // send upstream; decorate the response with add_cors_response_headers
  kAnswerPreflight,  // answer 200 with `preflight_headers`, nothing goes upstream
};

struct CorsDecision {
  CorsVerdict verdict = CorsVerdict::kNotCors;
  HeaderList preflight_headers;  // kAnswerPreflight
  std::string allowed_origin;    // kForward: the origin to echo; empty when not allowed
};

bool is_cors_preflight(const RequestView& request);

CorsDecision decide_cors(const CompiledCors& cors, const RequestView& request);

// On the upstream response of a forwarded CORS request with an allowed origin:
// Access-Control-Allow-Origin, -Allow-Credentials and -Expose-Headers. Otherwise untouched.
void add_cors_response_headers(const CompiledCors& cors, const CorsDecision& decision,
                               HeaderList& response_headers);

}  // namespace zmesh::route
