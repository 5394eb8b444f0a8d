// security.istio.io RequestAuthentication (v1, v1beta1), as written.
// Every field of the API is kept, typed, whether or not the data path uses it yet.
#pragma once

#include <nlohmann/json.hpp>

#include "state/istio_common.h"
#include "state/model.h"

namespace zmesh::state {

struct RequestAuthentication {
  ObjectMeta meta;
};

// The object as config_dump shows it.
void to_json(nlohmann::json& j, const RequestAuthentication& object);

}  // namespace zmesh::state
