#include "l7/inbound_authz.h"

#include <algorithm>

#include "rbac/forwarded_for.h"
#include "rbac/policy_match.h"
#include "rbac/request_path.h"

namespace zmesh::l7 {

HttpAuthzInput::HttpAuthzInput(const rbac::ConnectionView& conn, const Request& request,
                               const rbac::RequestAuth* auth, uint32_t trusted_hops)
    : method_(request.method_string()), host_(request[http::field::host]) {
  // Beast's string_view is not std's.
  auto target = request.target();
  auto normalized = rbac::normalize_path(std::string_view(target.data(), target.size()));
  if (normalized) {
    path_ = std::move(*normalized);
  } else {
    path_ok_ = false;
  }
  view_.conn = conn;
  view_.method = method_;
  view_.host = host_;
  view_.path = path_;
  view_.headers = [&request](std::string_view name) {
    std::vector<std::string_view> values;
    auto range = request.equal_range(boost::beast::string_view(name.data(), name.size()));
    for (auto it = range.first; it != range.second; ++it)
      values.emplace_back(it->value().data(), it->value().size());
    return values;
  };
  view_.auth = auth;
  if (trusted_hops > 0)
    view_.remote_ip = rbac::forwarded_client(view_.headers("x-forwarded-for"), trusted_hops);
}

RequestVerdict authorize_http(const state::ApplicablePolicies& policies,
                              const HttpAuthzInput& input) {
  RequestVerdict v;
  if (!input.path_ok()) {
    v.status = 400;
    v.details = "path_normalization_failed";
    return v;
  }
  if (policies.empty()) return v;
  v.decision = rbac::authorize_request(policies, input.view());
  if (!v.decision->allowed) {
    v.status = 403;
    v.details = rbac::denial_details(*v.decision, input.view());
  }
  return v;
}

}  // namespace zmesh::l7
