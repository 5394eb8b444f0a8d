// discovery.k8s.io/v1 EndpointSlice: decoding and validation with field paths.
#include "config/kind_decoders.h"

namespace zmesh::config {

Object decode_endpoint_slice(const FieldReader& root, state::ObjectMeta meta) {
  (void)root;
  return state::EndpointSlice{std::move(meta)};
}

}  // namespace zmesh::config
