#include "state/destination_rule.h"

namespace zmesh::state {

void to_json(nlohmann::json& j, const DestinationRule& object) {
  j = {{"name", object.meta.name}, {"namespace", object.meta.namespace_}};
}

}  // namespace zmesh::state
