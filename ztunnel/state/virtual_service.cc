#include "state/virtual_service.h"

namespace zmesh::state {

void to_json(nlohmann::json& j, const VirtualService& object) {
  j = {{"name", object.meta.name}, {"namespace", object.meta.namespace_}};
}

}  // namespace zmesh::state
