#include "state/endpoint_slice.h"

namespace zmesh::state {

void to_json(nlohmann::json& j, const EndpointSlice& object) {
  j = {{"name", object.meta.name}, {"namespace", object.meta.namespace_}};
}

}  // namespace zmesh::state
