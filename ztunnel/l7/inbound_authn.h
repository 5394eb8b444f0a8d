// RequestAuthentication on one HTTP request at the destination (the inbound HTTP pipeline,
// before authorization): every jwtRule that applies to the workload, with its keys from the
// JwksStore (inline jwks, or the last good jwksUri document), through jwt::authenticate with
// the worker's cache of verified tokens. A rejected token becomes the local reply (401 with
// `www-authenticate: Bearer ...`, or 403 for an audience); a verified one becomes the
// rbac::RequestAuth that authorization sees; either way the header operations (token removed
// unless forwardOriginalToken, outputPayloadToHeader, outputClaimToHeaders, forged output
// headers dropped) and query-parameter removals are applied to the request.
#pragma once

#include <optional>
#include <vector>

#include "jwt/jwks_store.h"
#include "jwt/token_cache.h"
#include "l7/http_message.h"
#include "rbac/request_view.h"
#include "state/request_authentication.h"

namespace zmesh::l7 {

struct AuthnOutcome {
  std::optional<Response> reply;            // set: answer this, the app never sees the request
  std::optional<rbac::RequestAuth> caller;  // set: a token verified
};

// `rules` non-empty. Mutates `request` (header operations) when it goes on.
AuthnOutcome authenticate_request(const std::vector<const state::JwtRule*>& rules,
                                  const jwt::JwksStore* store, jwt::TokenCache& cache,
                                  Request& request, uint64_t now_unix_seconds);

// `target` without the query parameters named in `names` (tokens taken from the query).
std::string strip_query_params(std::string_view target, const std::vector<std::string>& names);

}  // namespace zmesh::l7
