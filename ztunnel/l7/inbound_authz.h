// AuthorizationPolicy on one HTTP request at the destination (the inbound HTTP pipeline): the
// request as rbac::RequestView sees it (path normalised as Istio's BASE, the query cut off;
// headers by lower-case name) and the verdict: allowed, 403 with Envoy's response-code details
// naming the matched policy, or 400 for a path Envoy would not normalise. Pure: counting and
// audit records are the pipeline's.
#pragma once

#include <optional>
#include <string>

#include "l7/http_message.h"
#include "rbac/authorize_request.h"
#include "state/authz_policies.h"

namespace zmesh::l7 {

// A request's view for authorization, owning the strings the view points into. Not movable:
// the view refers to its own members.
class HttpAuthzInput {
 public:
  // `trusted_hops`: meshConfig numTrustedProxies, for the client behind X-Forwarded-For.
  HttpAuthzInput(const rbac::ConnectionView& conn, const Request& request,
                 const rbac::RequestAuth* auth, uint32_t trusted_hops = 0);
  HttpAuthzInput(const HttpAuthzInput&) = delete;
  HttpAuthzInput& operator=(const HttpAuthzInput&) = delete;

  const rbac::RequestView& view() const { return view_; }
  bool path_ok() const { return path_ok_; }  // false: a malformed path (400)

 private:
  std::string method_, host_, path_;
  bool path_ok_ = true;
  rbac::RequestView view_;
};

struct RequestVerdict {
  unsigned status = 0;                     // 0: allowed; 400: malformed path; 403: denied
  std::string details;                     // Envoy's response-code details for a refusal
  std::optional<rbac::Decision> decision;  // nullopt: no policy applies (or the path was bad)
};

RequestVerdict authorize_http(const state::ApplicablePolicies& policies,
                              const HttpAuthzInput& input);

}  // namespace zmesh::l7
