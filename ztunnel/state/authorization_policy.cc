#include "state/authorization_policy.h"

namespace zmesh::state {

void to_json(nlohmann::json& j, const AuthorizationPolicy& object) {
  j = {{"name", object.meta.name}, {"namespace", object.meta.namespace_}};
}

}  // namespace zmesh::state
