// networking.istio.io VirtualService (v1, v1beta1, v1alpha3 share one schema), as written.
// Every field of the API is kept, typed, whether or not the data path uses it yet.
#pragma once

#include <nlohmann/json.hpp>

#include "state/istio_common.h"
#include "state/model.h"

namespace zmesh::state {

struct VirtualService {
  ObjectMeta meta;
};

// The object as config_dump shows it.
void to_json(nlohmann::json& j, const VirtualService& object);

}  // namespace zmesh::state
