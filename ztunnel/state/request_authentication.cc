#include "state/request_authentication.h"

namespace zmesh::state {

void to_json(nlohmann::json& j, const RequestAuthentication& object) {
  j = {{"name", object.meta.name}, {"namespace", object.meta.namespace_}};
}

}  // namespace zmesh::state
